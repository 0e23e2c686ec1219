/*
 * A whole LSTM sequence, forward and backward (backpropagation through time), on float32 arrays.
 * The math of src/model/acceleration/reference/lstmSequence.ts, in one call per sequence.
 * Gate layout per row of 4H: i, f, g, o (Keras). mask[t*B + b] = 1 for a real token, 0 for padding
 * (the state is carried through unchanged). With reverse, steps run from t = T-1 down to 0.
 * Every "per step" array is in time order t, whatever the direction.
 */
#ifndef SEQ2SEQ_LSTM_H
#define SEQ2SEQ_LSTM_H
#include "blas.h"

/*
 * xw [T,B,4H] projected inputs (bias included); wh [H,4H]; h0, c0 [B,H]; mask [T,B].
 * Writes packed [T+2,B,H] (outputs in time order, then final h, final c) and, for the backward pass,
 * h_prev, c_prev [T,B,H] (state entering step t), gates [T,B,4H] (activations), tc [T,B,H] (tanh of
 * the unmasked new cell).
 */
void lstm_forward(seq2seq_sgemm_fn sgemm, int T, int B, int H, int reverse, const float *xw, const float *wh,
                  const float *h0, const float *c0, const float *mask, float *packed, float *h_prev, float *c_prev,
                  float *gates, float *tc);

/*
 * dy [T+2,B,H]: gradient of packed. Writes dxw [T,B,4H], dwh [H,4H], dh0, dc0 [B,H].
 * Returns 0, or -1 when scratch memory could not be allocated.
 */
int lstm_backward(seq2seq_sgemm_fn sgemm, int T, int B, int H, int reverse, const float *dy, const float *wh,
                  const float *h_prev, const float *c_prev, const float *gates, const float *tc, const float *mask,
                  float *dxw, float *dwh, float *dh0, float *dc0);

/*
 * One row of one step, shared with the decoder step (decoder_step.c): gate pre-activations z [4H] are
 * replaced by their activations; writes the new state (h_out, c_out: m = 1 takes the new state, 0
 * keeps h_in, c_in) and tc (tanh of the unmasked new cell) [H].
 */
void lstm_cell_row(int H, float *z, const float *h_in, const float *c_in, float m, float *h_out, float *c_out, float *tc);

#endif
