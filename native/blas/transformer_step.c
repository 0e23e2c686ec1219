/* See transformer_step.h. The projections of all rows go to the BLAS; attention of one query over a
 * few cached positions, the norms and the output's log-softmax are loops (transformer.c's, attention.c's). */
#include "transformer_step.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "attention.h"
#include "top_k.h"
#include "transformer.h"
#include "vectorize.h"

uint64_t transformer_step_weight_size(int w, uint64_t d, uint64_t ff) {
  switch (w) {
    case TS_QKV: return d * 3 * d;
    case TS_QKV_BIAS: return 3 * d;
    case TS_SELF_OUT: case TS_CROSS_QUERY: case TS_CROSS_OUT: return d * d;
    case TS_FF_INNER: case TS_FF_OUTER: return d * ff;
    case TS_FF_INNER_BIAS: return ff;
    default: return d; /* the norms' gamma and beta, the other biases */
  }
}

/* out [n, width] = x [n, in] W + bias */
static void linear(seq2seq_sgemm_fn sgemm, int n, int in, int width, const float *x, const float *w, const float *bias, float *out) {
  for (int i = 0; i < n; i++) memcpy(out + (size_t)i * width, bias, (size_t)width * sizeof(float));
  sgemm(NO_TRANS, NO_TRANS, n, width, in, 1.0f, x, in, w, width, 1.0f, out, width);
}

/* A sub-layer's end: x += (in [n, k] W + bias), through y [n, d] (as the seam's biasDropoutResidual without dropout). */
static void project_residual(seq2seq_sgemm_fn sgemm, int n, int k, int d, const float *in, const float *w, const float *bias, float *y, float *x) {
  sgemm(NO_TRANS, NO_TRANS, n, d, k, 1.0f, in, k, w, d, 0.0f, y, d);
  bias_dropout_residual_forward((size_t)n, (size_t)d, y, bias, x, NULL, x);
}

/* q . k over n values, in 16 partial sums the compiler can keep in vector registers. */
static inline float dot(int n, const float *q, const float *k) {
  float acc[16] = { 0 };
  int e = 0;
  for (; e + 16 <= n; e += 16)
    for (int u = 0; u < 16; u++) acc[u] += q[e + u] * k[e + u];
  float s = 0;
  for (int u = 0; u < 16; u++) s += acc[u];
  for (; e < n; e++) s += q[e] * k[e];
  return s;
}

/*
 * One query's multi-head attention over tk positions of kv (rows of stride ld: keys [d], then values
 * [d]): per head softmax(scale q.k + mask) . v into out [d]; head h's weights to weights + h * tk
 * when weights is not NULL.
 */
VECTOR_CLONES
static void attend_row(int d, int heads, int tk, const float *q, const float *kv, size_t ld, const float *mask, float scale, float *scores,
                       float *out, float *weights) {
  const int dk = d / heads;
  for (int h = 0; h < heads; h++) {
    const float *qh = q + h * dk;
    for (int j = 0; j < tk; j++) scores[j] = dot(dk, qh, kv + j * ld + h * dk);
    attention_softmax_row(tk, scores, mask, scale);
    if (weights) memcpy(weights + (size_t)h * tk, scores, (size_t)tk * sizeof(float));
    float *o = out + h * dk;
    for (int e = 0; e < dk; e++) o[e] = 0;
    for (int j = 0; j < tk; j++) {
      const float *v = kv + j * ld + d + h * dk;
      const float p = scores[j];
      for (int e = 0; e < dk; e++) o[e] += p * v[e];
    }
  }
}

static inline size_t row_of(const transformer_step_args *a, int i) { return a->active ? (size_t)a->active[i] : (size_t)i; }

/* cache_out = cache_in (its rows in `order`) with this position appended: the new keys and values (qkv's last 2d columns) of the rows computed, 0 for the others. */
static void grow_cache(const transformer_step_args *a, const transformer_step_layer *lw, const float *qkv, int n) {
  const size_t w = 2 * (size_t)a->d, past = (size_t)a->past, t = past + 1;
  for (size_t r = 0; r < (size_t)a->rows; r++) {
    float *dst = lw->cache_out + r * t * w;
    const size_t from = a->order ? (size_t)a->order[r] : r;
    if (past) memcpy(dst, lw->cache_in + from * past * w, past * w * sizeof(float));
    if (n < a->rows) memset(dst + past * w, 0, w * sizeof(float));
  }
  for (int i = 0; i < n; i++) memcpy(lw->cache_out + (row_of(a, i) * t + past) * w, qkv + (size_t)i * 3 * a->d + a->d, w * sizeof(float));
}

int transformer_step(seq2seq_sgemm_fn sgemm, const transformer_step_args *a) {
  const int R = a->rows, d = a->d, ff = a->ff, V = a->vocab, S = a->src_len, L = a->layers, H = a->heads, t = a->past + 1;
  const int n = a->n_active >= 0 ? a->n_active : R;
  const size_t N = (size_t)n, tk = (size_t)(t > S ? t : S), k = (size_t)a->top_k;
  const float scale = 1.0f / sqrtf((float)(d / H));
  /* every row computed and every log-probability asked: the logits are made in the output itself */
  float *direct = n == R && a->top_k == 0 ? a->log_probs : NULL;
  float *block = malloc((N * (6 * (size_t)d + (size_t)ff + 2 + (direct ? 0 : (size_t)V)) + tk + 1) * sizeof(float));
  if (!block) return -1;
  float *x = block, *h = x + N * d, *qkv = h + N * d, *ctx = qkv + N * 3 * d, *inner = ctx + N * d, *mean = inner + N * ff, *rstd = mean + N,
        *scores = rstd + N, *logits = direct ? direct : scores + tk;
  if (n < R) {
    if (a->top_k > 0) {
      memset(a->top_log_probs, 0, (size_t)R * k * sizeof(float));
      memset(a->top_ids, 0, (size_t)R * k * sizeof(int32_t));
    } else {
      memset(a->log_probs, 0, (size_t)R * V * sizeof(float));
    }
    if (a->attention_out) memset(a->attention_out, 0, (size_t)R * L * H * S * sizeof(float));
  }

  if (n == 0) {
    for (int l = 0; l < L; l++) grow_cache(a, &a->layer[l], qkv, 0);
    free(block);
    return 0;
  }
  const float root = sqrtf((float)d);
  for (int i = 0; i < n; i++) {
    const float *e = a->embedding + (size_t)a->ids[row_of(a, i)] * d;
    float *xr = x + (size_t)i * d;
    for (int j = 0; j < d; j++) xr[j] = e[j] * root + a->position[j];
  }
  for (int l = 0; l < L; l++) {
    const transformer_step_layer *lw = &a->layer[l];
    const float *const *w = lw->w;
    layer_norm_forward(N, d, x, w[TS_SELF_GAMMA], w[TS_SELF_BETA], a->epsilon, h, mean, rstd);
    linear(sgemm, n, d, 3 * d, h, w[TS_QKV], w[TS_QKV_BIAS], qkv);
    grow_cache(a, lw, qkv, n);
    for (int i = 0; i < n; i++) {
      const float *cache = lw->cache_out + row_of(a, i) * t * 2 * d;
      attend_row(d, H, t, qkv + (size_t)i * 3 * d, cache, 2 * (size_t)d, NULL, scale, scores, ctx + (size_t)i * d, NULL);
    }
    project_residual(sgemm, n, d, d, ctx, w[TS_SELF_OUT], w[TS_SELF_OUT_BIAS], h, x);

    layer_norm_forward(N, d, x, w[TS_CROSS_GAMMA], w[TS_CROSS_BETA], a->epsilon, h, mean, rstd);
    linear(sgemm, n, d, d, h, w[TS_CROSS_QUERY], w[TS_CROSS_QUERY_BIAS], qkv);
    for (int i = 0; i < n; i++) {
      const size_t r = row_of(a, i);
      float *weights = a->attention_out ? a->attention_out + (r * L + l) * H * S : NULL;
      attend_row(d, H, S, qkv + (size_t)i * d, lw->memory + r * S * 2 * d, 2 * (size_t)d, a->mask_bias + r * S, scale, scores, ctx + (size_t)i * d, weights);
    }
    project_residual(sgemm, n, d, d, ctx, w[TS_CROSS_OUT], w[TS_CROSS_OUT_BIAS], h, x);

    layer_norm_forward(N, d, x, w[TS_FF_GAMMA], w[TS_FF_BETA], a->epsilon, h, mean, rstd);
    linear(sgemm, n, d, ff, h, w[TS_FF_INNER], w[TS_FF_INNER_BIAS], inner);
    if (a->gelu) gelu_forward(N * ff, inner, inner);
    else for (size_t j = 0; j < N * ff; j++) inner[j] = inner[j] > 0 ? inner[j] : 0;
    project_residual(sgemm, n, ff, d, inner, w[TS_FF_OUTER], w[TS_FF_OUTER_BIAS], h, x);
  }
  layer_norm_forward(N, d, x, a->norm_gamma, a->norm_beta, a->epsilon, h, mean, rstd);
  for (int i = 0; i < n; i++) memcpy(logits + (size_t)i * V, a->out_bias, (size_t)V * sizeof(float));
  if (a->out_kernel) sgemm(NO_TRANS, NO_TRANS, n, V, d, 1.0f, h, d, a->out_kernel, V, 1.0f, logits, V);
  else sgemm(NO_TRANS, TRANS, n, V, d, 1.0f, h, d, a->embedding, d, 1.0f, logits, V);
  log_softmax_rows(N, V, logits, logits);
  if (!direct) {
    for (int i = 0; i < n; i++) {
      const size_t r = row_of(a, i);
      const float *row = logits + (size_t)i * V;
      if (a->top_k > 0) top_k(V, a->top_k, row, a->top_ids + r * k, a->top_log_probs + r * k);
      else memcpy(a->log_probs + r * V, row, (size_t)V * sizeof(float));
    }
  }
  free(block);
  return 0;
}
