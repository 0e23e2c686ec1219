/*
 * N-API bindings of the Transformer's fused kernels (transformer.h), registered on the addon's
 * exports by bindings.c. Like the other bindings: Float32Array views of the wasm heap, each checked
 * against the number of elements the kernel touches. Declared for TypeScript in
 * src/model/acceleration/native/addon.ts (NativeAddon).
 *
 *   layerNormForward(x, gamma, beta, y, mean, rstd, rows, d, eps)
 *   layerNormBackward(dy, x, gamma, mean, rstd, dx, dgamma, dbeta, rows, d)
 *   maskedSoftmaxForward(scores, mask | null, y, b, h, tq, tk, mq, scale)      mask [b, 1, mq, tk], mq 1 or tq
 *   maskedSoftmaxBackward(y, dy, dx, rows, tk, scale)
 *   geluForward(x, y, n)   geluBackward(x, dy, dx, n)
 *   biasDropoutResidualForward(x, bias, residual, mask | null, out, rows, d)
 *   biasDropoutResidualBackward(dy, mask | null, dx, dbias, rows, d)
 *   crossEntropyForward(logits, targets: Int32Array, loss, lse, rows, v, eps)      every target in [0, v)
 *   crossEntropyBackward(logits, targets: Int32Array, lse, dloss, dlogits, rows, v, eps)
 *   logSoftmax(x, y, rows, v)
 *   attentionForward(q, k, v, mask | null, drop | null, p, out, b, h, tq, tk, dk, ldq, ldk, ldv, qOff, kOff, vOff, mq, scale)
 *   attentionBackward(dout, q, k, v, p, drop | null, dq, dk, dv, b, h, tq, tk, dk, ldq, ldk, ldv, qOff, kOff, vOff, scale)
 *     multi-head attention on the projections' own layouts (attention.h); q, k, v (and dq, dk, dv) may be one array
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include "transformer.h"
#include "attention.h"
#include "blas.h"
#include "transformer_bindings.h"

/*
 * What one binding takes: `arrays` typed arrays (Float32Array; Int32Array for those in `ints`; those
 * in `nullable` may be null), then `numbers` numbers.
 */
typedef struct { const char *name; int arrays; int numbers; unsigned nullable; unsigned ints; } signature;

/* Reads and checks the arguments; on failure throws and returns 0. Sizes are checked by each binding. */
static int read_args(napi_env env, napi_callback_info cb, const signature *s, float **p, size_t *len, double *num) {
  char message[160];
  napi_value argv[24];
  size_t argc = 24;
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok || argc != (size_t)(s->arrays + s->numbers)) {
    snprintf(message, sizeof(message), "%s takes %d arguments", s->name, s->arrays + s->numbers);
    napi_throw_error(env, "SEQ2SEQ_BLAS", message);
    return 0;
  }
  for (int i = 0; i < s->arrays; i++) {
    napi_valuetype type;
    napi_typeof(env, argv[i], &type);
    if ((s->nullable >> i & 1) && (type == napi_null || type == napi_undefined)) { p[i] = NULL; len[i] = 0; continue; }
    bool typed = false;
    napi_typedarray_type kind;
    void *data = NULL;
    if (napi_is_typedarray(env, argv[i], &typed) != napi_ok || !typed ||
        napi_get_typedarray_info(env, argv[i], &kind, &len[i], &data, NULL, NULL) != napi_ok ||
        kind != ((s->ints >> i & 1) ? napi_int32_array : napi_float32_array)) {
      snprintf(message, sizeof(message), "%s: argument %d must be a%s", s->name, i + 1, (s->ints >> i & 1) ? "n Int32Array" : " Float32Array");
      napi_throw_error(env, "SEQ2SEQ_BLAS", message);
      return 0;
    }
    p[i] = (float *)data;
  }
  for (int i = 0; i < s->numbers; i++) {
    if (napi_get_value_double(env, argv[s->arrays + i], &num[i]) != napi_ok || !(num[i] >= 0 && num[i] < 1e12)) {
      snprintf(message, sizeof(message), "%s: argument %d must be a non-negative number", s->name, s->arrays + i + 1);
      napi_throw_error(env, "SEQ2SEQ_BLAS", message);
      return 0;
    }
  }
  return 1;
}

/* Every array i must hold at least need[i] elements (a null mask needs none). */
static int check_sizes(napi_env env, const signature *s, float **p, const size_t *len, const uint64_t *need) {
  for (int i = 0; i < s->arrays; i++) {
    if (p[i] && (uint64_t)len[i] < need[i]) {
      char message[160];
      snprintf(message, sizeof(message), "%s: argument %d holds %zu values, needs %llu", s->name, i + 1, len[i], (unsigned long long)need[i]);
      napi_throw_error(env, "SEQ2SEQ_BLAS", message);
      return 0;
    }
  }
  return 1;
}

static napi_value layer_norm_forward_js(napi_env env, napi_callback_info cb) {
  static const signature s = { "layerNormForward", 6, 3, 0, 0 };
  float *p[6]; size_t len[6]; double n[3];
  if (!read_args(env, cb, &s, p, len, n)) return NULL;
  const uint64_t rows = (uint64_t)n[0], d = (uint64_t)n[1];
  const uint64_t need[6] = { rows * d, d, d, rows * d, rows, rows };
  if (!check_sizes(env, &s, p, len, need)) return NULL;
  layer_norm_forward(rows, d, p[0], p[1], p[2], (float)n[2], p[3], p[4], p[5]);
  return NULL;
}

static napi_value layer_norm_backward_js(napi_env env, napi_callback_info cb) {
  static const signature s = { "layerNormBackward", 8, 2, 0, 0 };
  float *p[8]; size_t len[8]; double n[2];
  if (!read_args(env, cb, &s, p, len, n)) return NULL;
  const uint64_t rows = (uint64_t)n[0], d = (uint64_t)n[1];
  const uint64_t need[8] = { rows * d, rows * d, d, rows, rows, rows * d, d, d };
  if (!check_sizes(env, &s, p, len, need)) return NULL;
  layer_norm_backward(rows, d, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
  return NULL;
}

static napi_value masked_softmax_forward_js(napi_env env, napi_callback_info cb) {
  static const signature s = { "maskedSoftmaxForward", 3, 6, 1u << 1, 0 };
  float *p[3]; size_t len[3]; double n[6];
  if (!read_args(env, cb, &s, p, len, n)) return NULL;
  const uint64_t b = (uint64_t)n[0], h = (uint64_t)n[1], tq = (uint64_t)n[2], tk = (uint64_t)n[3], mq = (uint64_t)n[4];
  if (mq != 1 && mq != tq) { napi_throw_error(env, "SEQ2SEQ_BLAS", "maskedSoftmaxForward: mq must be 1 or tq"); return NULL; }
  const uint64_t need[3] = { b * h * tq * tk, b * mq * tk, b * h * tq * tk };
  if (!check_sizes(env, &s, p, len, need)) return NULL;
  masked_softmax_forward(b, h, tq, tk, p[0], p[1], mq, (float)n[5], p[2]);
  return NULL;
}

static napi_value masked_softmax_backward_js(napi_env env, napi_callback_info cb) {
  static const signature s = { "maskedSoftmaxBackward", 3, 3, 0, 0 };
  float *p[3]; size_t len[3]; double n[3];
  if (!read_args(env, cb, &s, p, len, n)) return NULL;
  const uint64_t rows = (uint64_t)n[0], tk = (uint64_t)n[1];
  const uint64_t need[3] = { rows * tk, rows * tk, rows * tk };
  if (!check_sizes(env, &s, p, len, need)) return NULL;
  masked_softmax_backward(rows, tk, p[0], p[1], (float)n[2], p[2]);
  return NULL;
}

static napi_value gelu_forward_js(napi_env env, napi_callback_info cb) {
  static const signature s = { "geluForward", 2, 1, 0, 0 };
  float *p[2]; size_t len[2]; double n[1];
  if (!read_args(env, cb, &s, p, len, n)) return NULL;
  const uint64_t need[2] = { (uint64_t)n[0], (uint64_t)n[0] };
  if (!check_sizes(env, &s, p, len, need)) return NULL;
  gelu_forward((size_t)n[0], p[0], p[1]);
  return NULL;
}

static napi_value gelu_backward_js(napi_env env, napi_callback_info cb) {
  static const signature s = { "geluBackward", 3, 1, 0, 0 };
  float *p[3]; size_t len[3]; double n[1];
  if (!read_args(env, cb, &s, p, len, n)) return NULL;
  const uint64_t need[3] = { (uint64_t)n[0], (uint64_t)n[0], (uint64_t)n[0] };
  if (!check_sizes(env, &s, p, len, need)) return NULL;
  gelu_backward((size_t)n[0], p[0], p[1], p[2]);
  return NULL;
}

static napi_value bias_dropout_residual_forward_js(napi_env env, napi_callback_info cb) {
  static const signature s = { "biasDropoutResidualForward", 5, 2, 1u << 3, 0 };
  float *p[5]; size_t len[5]; double n[2];
  if (!read_args(env, cb, &s, p, len, n)) return NULL;
  const uint64_t rows = (uint64_t)n[0], d = (uint64_t)n[1];
  const uint64_t need[5] = { rows * d, d, rows * d, rows * d, rows * d };
  if (!check_sizes(env, &s, p, len, need)) return NULL;
  bias_dropout_residual_forward(rows, d, p[0], p[1], p[2], p[3], p[4]);
  return NULL;
}

static napi_value bias_dropout_residual_backward_js(napi_env env, napi_callback_info cb) {
  static const signature s = { "biasDropoutResidualBackward", 4, 2, 1u << 1, 0 };
  float *p[4]; size_t len[4]; double n[2];
  if (!read_args(env, cb, &s, p, len, n)) return NULL;
  const uint64_t rows = (uint64_t)n[0], d = (uint64_t)n[1];
  const uint64_t need[4] = { rows * d, rows * d, rows * d, d };
  if (!check_sizes(env, &s, p, len, need)) return NULL;
  bias_dropout_residual_backward(rows, d, p[0], p[1], p[2], p[3]);
  return NULL;
}

/* Every target id must index a column. */
static int check_targets(napi_env env, const char *name, const float *targets, size_t rows, size_t v) {
  const int32_t *t = (const int32_t *)targets;
  for (size_t r = 0; r < rows; r++) {
    if (t[r] < 0 || (size_t)t[r] >= v) {
      char message[160];
      snprintf(message, sizeof(message), "%s: target %d of row %zu is outside 0 .. %zu", name, t[r], r, v - 1);
      napi_throw_error(env, "SEQ2SEQ_BLAS", message);
      return 0;
    }
  }
  return 1;
}

static napi_value cross_entropy_forward_js(napi_env env, napi_callback_info cb) {
  static const signature s = { "crossEntropyForward", 4, 3, 0, 1u << 1 };
  float *p[4]; size_t len[4]; double n[3];
  if (!read_args(env, cb, &s, p, len, n)) return NULL;
  const uint64_t rows = (uint64_t)n[0], v = (uint64_t)n[1];
  const uint64_t need[4] = { rows * v, rows, rows, rows };
  if (v == 0 || !check_sizes(env, &s, p, len, need) || !check_targets(env, s.name, p[1], rows, v)) return NULL;
  cross_entropy_forward(rows, v, p[0], (const int32_t *)p[1], (float)n[2], p[2], p[3]);
  return NULL;
}

static napi_value cross_entropy_backward_js(napi_env env, napi_callback_info cb) {
  static const signature s = { "crossEntropyBackward", 5, 3, 0, 1u << 1 };
  float *p[5]; size_t len[5]; double n[3];
  if (!read_args(env, cb, &s, p, len, n)) return NULL;
  const uint64_t rows = (uint64_t)n[0], v = (uint64_t)n[1];
  const uint64_t need[5] = { rows * v, rows, rows, rows, rows * v };
  if (v == 0 || !check_sizes(env, &s, p, len, need) || !check_targets(env, s.name, p[1], rows, v)) return NULL;
  cross_entropy_backward(rows, v, p[0], (const int32_t *)p[1], p[2], p[3], (float)n[2], p[4]);
  return NULL;
}

static napi_value log_softmax_js(napi_env env, napi_callback_info cb) {
  static const signature s = { "logSoftmax", 2, 2, 0, 0 };
  float *p[2]; size_t len[2]; double n[2];
  if (!read_args(env, cb, &s, p, len, n)) return NULL;
  const uint64_t rows = (uint64_t)n[0], v = (uint64_t)n[1];
  const uint64_t need[2] = { rows * v, rows * v };
  if (!check_sizes(env, &s, p, len, need)) return NULL;
  log_softmax_rows(rows, v, p[0], p[1]);
  return NULL;
}

/* The attention shape from 12 numbers (b, h, tq, tk, dk, ldq, ldk, ldv, qOff, kOff, vOff, then mq or nothing). */
static int attention_shape_of(napi_env env, const char *name, const double *n, int with_mq, attention_shape *s) {
  for (int i = 0; i < 11 + with_mq; i++) {
    if (n[i] >= 2147483647.0 || n[i] != (double)(int64_t)n[i]) { napi_throw_error(env, "SEQ2SEQ_BLAS", "attention: sizes must be whole numbers below 2^31"); return 0; }
  }
  *s = (attention_shape){ (int)n[0], (int)n[1], (int)n[2], (int)n[3], (int)n[4], (int)n[5], (int)n[6], (int)n[7], (int)n[8], (int)n[9], (int)n[10], with_mq ? (int)n[11] : 1, 0 };
  const int64_t D = (int64_t)s->h * s->dk;
  char message[160];
  if (s->q_off + D > s->ldq || s->k_off + D > s->ldk || s->v_off + D > s->ldv || (with_mq && s->mq != 1 && s->mq != s->tq)) {
    snprintf(message, sizeof(message), "%s: each head's columns must lie inside a row (offset + heads * dk <= row stride), mq 1 or tq", name);
    napi_throw_error(env, "SEQ2SEQ_BLAS", message);
    return 0;
  }
  return 1;
}

/* Elements an operand with `rows` rows of stride ld must hold for columns off .. off + D - 1. */
static uint64_t strided(int64_t rows, int64_t ld, int64_t off, int64_t D) {
  return rows > 0 ? (uint64_t)((rows - 1) * ld + off + D) : 0;
}

static napi_value attention_forward_js(napi_env env, napi_callback_info cb) {
  static const signature s = { "attentionForward", 7, 13, (1u << 3) | (1u << 4), 0 };
  float *p[7]; size_t len[7]; double n[13];
  if (!blas_library()) { napi_throw_error(env, "SEQ2SEQ_BLAS", "no optimised BLAS loaded"); return NULL; }
  if (!read_args(env, cb, &s, p, len, n)) return NULL;
  attention_shape a;
  if (!attention_shape_of(env, s.name, n, 1, &a)) return NULL;
  a.scale = (float)n[12];
  const int64_t D = (int64_t)a.h * a.dk, bq = (int64_t)a.b * a.tq, bk = (int64_t)a.b * a.tk;
  const uint64_t weights = (uint64_t)a.b * a.h * a.tq * a.tk;
  const uint64_t need[7] = { strided(bq, a.ldq, a.q_off, D), strided(bk, a.ldk, a.k_off, D), strided(bk, a.ldv, a.v_off, D),
                             (uint64_t)a.b * a.mq * a.tk, weights, weights, (uint64_t)bq * D };
  if (!check_sizes(env, &s, p, len, need)) return NULL;
  if (attention_forward(blas_sgemm_sized, &a, p[0], p[1], p[2], p[3], p[4], p[5], p[6]) != 0) {
    napi_throw_error(env, "SEQ2SEQ_BLAS", "attentionForward: out of memory");
  }
  return NULL;
}

static napi_value attention_backward_js(napi_env env, napi_callback_info cb) {
  static const signature s = { "attentionBackward", 9, 12, 1u << 5, 0 };
  float *p[9]; size_t len[9]; double n[12];
  if (!blas_library()) { napi_throw_error(env, "SEQ2SEQ_BLAS", "no optimised BLAS loaded"); return NULL; }
  if (!read_args(env, cb, &s, p, len, n)) return NULL;
  attention_shape a;
  if (!attention_shape_of(env, s.name, n, 0, &a)) return NULL;
  a.scale = (float)n[11];
  const int64_t D = (int64_t)a.h * a.dk, bq = (int64_t)a.b * a.tq, bk = (int64_t)a.b * a.tk;
  const uint64_t weights = (uint64_t)a.b * a.h * a.tq * a.tk;
  const uint64_t nq = strided(bq, a.ldq, a.q_off, D), nk = strided(bk, a.ldk, a.k_off, D), nv = strided(bk, a.ldv, a.v_off, D);
  const uint64_t need[9] = { (uint64_t)bq * D, nq, nk, nv, weights, weights, nq, nk, nv };
  if (!check_sizes(env, &s, p, len, need)) return NULL;
  if (attention_backward(blas_sgemm_sized, &a, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]) != 0) {
    napi_throw_error(env, "SEQ2SEQ_BLAS", "attentionBackward: out of memory");
  }
  return NULL;
}

void register_transformer_kernels(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "layerNormForward", NULL, layer_norm_forward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "layerNormBackward", NULL, layer_norm_backward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "maskedSoftmaxForward", NULL, masked_softmax_forward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "maskedSoftmaxBackward", NULL, masked_softmax_backward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "geluForward", NULL, gelu_forward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "geluBackward", NULL, gelu_backward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "biasDropoutResidualForward", NULL, bias_dropout_residual_forward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "biasDropoutResidualBackward", NULL, bias_dropout_residual_backward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "crossEntropyForward", NULL, cross_entropy_forward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "crossEntropyBackward", NULL, cross_entropy_backward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "logSoftmax", NULL, log_softmax_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "attentionForward", NULL, attention_forward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "attentionBackward", NULL, attention_backward_js, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
