/*
 * Multi-head attention as batched matrix multiplies on the BLAS, read and written in place in the
 * projections' own row-major layouts (no head transposes): for each batch row b and head h,
 *   P = softmax(scale * Q K^T + mask),  O = (P * dropout) V
 * where Q is rows b*tq .. of q (columns h*dk .. h*dk+dk-1 from q_off, row stride ldq), K and V
 * likewise in k and v (which may be one array, e.g. the fused [rows, 3d] projection). O is written to
 * out [b*tq + t, h*dk + j] (row stride h*dk). mask: NULL or [b, mq, tk] with mq 1 or tq; drop: NULL
 * or [b, h, tq, tk]. p [b, h, tq, tk] keeps the attention weights (before dropout) for the backward pass.
 */
#ifndef SEQ2SEQ_ATTENTION_H
#define SEQ2SEQ_ATTENTION_H
#include "blas.h"

typedef struct {
  int b, h, tq, tk, dk;
  /* Row strides and column offsets of q, k, v (elements). */
  int ldq, ldk, ldv, q_off, k_off, v_off;
  /* Rows of the mask per batch row: 1 (all queries alike) or tq. */
  int mq;
  float scale;
} attention_shape;

/* Returns 0, or -1 when scratch memory could not be allocated. */
int attention_forward(seq2seq_sgemm_fn sgemm, const attention_shape *s, const float *q, const float *k, const float *v,
                      const float *mask, const float *drop, float *p, float *out);

/*
 * From dout (out's layout) and the forward pass's q, k, v, p, drop: dq, dk, dv in the layouts of q,
 * k, v (same strides and offsets; they may be one array: every element a head reads is written once).
 * Returns 0, or -1 when scratch memory could not be allocated.
 */
int attention_backward(seq2seq_sgemm_fn sgemm, const attention_shape *s, const float *dout, const float *q, const float *k,
                       const float *v, const float *p, const float *drop, float *dq, float *dk, float *dv);

/* One row of attention weights: softmax(scale * row + mask) over tk scores in place (mask NULL: none). */
void attention_softmax_row(int tk, float *row, const float *mask, float scale);

#endif
