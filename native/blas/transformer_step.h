/*
 * One decoding step of the whole Transformer decoder (pre-LayerNorm, network/transformer.ts) in one
 * call: for the rows asked, the embedding of the previous token * sqrt(d) + the position's row; per
 * layer LayerNorm, the fused query / key / value projection, the new keys and values appended to the
 * layer's self-attention cache, attention over the cache, output projection + residual; LayerNorm,
 * the cross-attention query, attention over the memory's keys and values with the source padding
 * mask, output projection + residual; LayerNorm, feed-forward (ReLU or GELU), residual; then the final
 * LayerNorm, the output projection (the tied embedding transposed, or an output kernel) + bias, and
 * log-softmax: every log-probability, or each row's k best. The math of the seam's
 * transformerDecoderStep on TF.js ops (src/model/acceleration/reference/transformerStep.ts); float32
 * arrays, row-major; kernels are [in, out].
 */
#ifndef SEQ2SEQ_TRANSFORMER_STEP_H
#define SEQ2SEQ_TRANSFORMER_STEP_H
#include <stdint.h>
#include "blas.h"

#define TSTEP_MAX_LAYERS 32

/* One decoder layer's weights, in this order (the binding's `weights` list, layer by layer). */
enum {
  TS_SELF_GAMMA, TS_SELF_BETA, TS_QKV, TS_QKV_BIAS, TS_SELF_OUT, TS_SELF_OUT_BIAS,
  TS_CROSS_GAMMA, TS_CROSS_BETA, TS_CROSS_QUERY, TS_CROSS_QUERY_BIAS, TS_CROSS_OUT, TS_CROSS_OUT_BIAS,
  TS_FF_GAMMA, TS_FF_BETA, TS_FF_INNER, TS_FF_INNER_BIAS, TS_FF_OUTER, TS_FF_OUTER_BIAS,
  TS_WEIGHTS
};

/* The number of floats of weight w of a layer with width d and feed-forward width ff. */
uint64_t transformer_step_weight_size(int w, uint64_t d, uint64_t ff);

typedef struct {
  const float *w[TS_WEIGHTS];
  const float *cache_in; /* [R, past, 2d] keys then values of the positions so far; NULL when past is 0 */
  float *cache_out;      /* [R, past + 1, 2d]: cache_in with this position's keys and values (rows not active: 0) */
  const float *memory;   /* [R, S, 2d] the memory's keys then values */
} transformer_step_layer;

typedef struct {
  /* layers, rows R, width d, heads (d % heads == 0), feed-forward ff, vocabulary V, source steps S, positions so far */
  int layers, rows, d, heads, ff, vocab, src_len, past;
  int gelu;      /* 1: GELU (erf form), 0: ReLU */
  int top_k;     /* k best tokens per row (1 <= k <= V), or 0 for every log-probability */
  float epsilon; /* LayerNorm's */
  const int32_t *ids;      /* [R] previous tokens, each in [0, V) */
  const int32_t *order;    /* [R] row r continues the history in row order[r] of every cache_in (a beam reorder); NULL: row r's */
  const float *embedding;  /* [V, d] */
  const float *position;   /* [d] this position's row */
  transformer_step_layer layer[TSTEP_MAX_LAYERS];
  const float *norm_gamma, *norm_beta; /* [d] the final LayerNorm */
  const float *out_kernel;             /* [d, V], or NULL: the embedding transposed (tied) */
  const float *out_bias;               /* [V] */
  const float *mask_bias;              /* [R, S] 0 where a row may attend, a large negative number at padding */
  /* the rows to compute, ascending, n_active of them; n_active -1: all */
  const int32_t *active;
  int n_active;
  /* outputs: top_k > 0: top_ids, top_log_probs [R, k], best first (ties: the lower id); else log_probs [R, V]; rows not active get 0 */
  int32_t *top_ids;
  float *top_log_probs, *log_probs;
  /* optional (NULL: not asked): every layer's cross-attention weights per head [R, layers * heads, S]; rows not active: 0 */
  float *attention_out;
} transformer_step_args;

/* Returns 0, or -1 when scratch memory could not be allocated. */
int transformer_step(seq2seq_sgemm_fn sgemm, const transformer_step_args *a);

#endif
