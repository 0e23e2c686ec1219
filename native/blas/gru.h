/*
 * A whole GRU sequence (Keras layout: gates z, r, h; reset_after, i.e. the reset gate scales the
 * recurrent part of the candidate including its bias), forward and backward, on float32 arrays.
 * The math of the GRU of src/model/acceleration/reference/recurrentCells.ts in one call per sequence. mask[t*B + b] = 1 for a
 * real token, 0 for padding (the state is carried through). With reverse, steps run from T-1 to 0.
 * Every "per step" array is in time order t, whatever the direction.
 */
#ifndef SEQ2SEQ_GRU_H
#define SEQ2SEQ_GRU_H
#include "blas.h"

/*
 * xw [T,B,3H] projected inputs (input bias included); u [H,3H] recurrent kernel; b_rec [3H] recurrent
 * bias; h0 [B,H]; mask [T,B]. Writes packed [T+1,B,H] (outputs in time order, then the final h) and,
 * for the backward pass, h_prev [T,B,H] (state entering step t), gates [T,B,3H] (z, r, n after their
 * activations) and hn [T,B,H] (the recurrent part of the candidate, h_prev u_h + b_rec_h).
 * Returns 0, or -1 when scratch memory could not be allocated.
 */
int gru_forward(seq2seq_sgemm_fn sgemm, int T, int B, int H, int reverse, const float *xw, const float *u,
                 const float *b_rec, const float *h0, const float *mask, float *packed, float *h_prev, float *gates,
                 float *hn);

/*
 * dy [T+1,B,H]: gradient of packed. Writes dxw [T,B,3H], du [H,3H], db_rec [3H], dh0 [B,H].
 * Returns 0, or -1 when scratch memory could not be allocated.
 */
int gru_backward(seq2seq_sgemm_fn sgemm, int T, int B, int H, int reverse, const float *dy, const float *u,
                 const float *h_prev, const float *gates, const float *hn, const float *mask, float *dxw, float *du,
                 float *db_rec, float *dh0);

/*
 * One row of one step, shared with the decoder step (decoder_step.c): x the projected input row [3H]
 * (input bias included), hw the recurrent row [3H] (recurrent bias included). Writes the gates z, r, n
 * [3H], hn [H] and the new state h_out (m = 1 takes it, 0 keeps h_in).
 */
void gru_cell_row(int H, const float *x, const float *hw, const float *h_in, float m, float *gate, float *hn, float *h_out);

#endif
