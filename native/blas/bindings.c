/*
 * seq2seq_blas: the N-API bindings of our native kernels for the WebAssembly backend. Every function
 * works on Float32Array views of the wasm heap (no copies) and checks each view's length against
 * what it will touch. The BLAS is opened by blas_loader.c (blas.h) with the settings the caller
 * passes to open(); this file reads no environment. Declared for TypeScript once, in
 * src/model/acceleration/native/addon.ts (NativeAddon).
 *
 * JavaScript API (usable from worker threads):
 *   open(library | null, poolThreads | null)   opens the BLAS (first call only), see blas.h
 *   info() -> { library: string | null, error: string | null, threads: number (as set by setThreads) }
 *   setThreads(n)   threads for large multiplies from now on (process-wide; small ones use one;
 *                   no effect on a BLAS without openblas_set_num_threads)
 *   sgemm(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, bias | null)
 *     for each i < batch: C_i[m x n] = op(A_i) op(B_i) (+ bias[n], broadcast over rows), where A_i
 *     starts at i * strideA and B_i at i * strideB elements (a stride of 0 broadcasts one matrix),
 *     C_i at i * m * n; op(A) is A [m x k] row-major, or A stored as [k x m] when transA (likewise B).
 *   lstmForward(xw, wh, h0, c0, mask, packed, hPrev, cPrev, gates, tc, T, B, H, reverse)
 *   lstmBackward(dy, wh, hPrev, cPrev, gates, tc, mask, dxw, dwh, dh0, dc0, T, B, H, reverse)
 *   gruForward(xw, u, bRec, h0, mask, packed, hPrev, gates, hn, T, B, H, reverse)
 *   gruBackward(dy, u, hPrev, gates, hn, mask, dxw, du, dbRec, dh0, T, B, H, reverse)
 *     whole LSTM / GRU sequences forward / backward (lstm.h, gru.h), one table drives all four
 *   adamUpdate(p, g, m, v, pOut, mOut, vOut, lrT, beta1, beta2, epsilon, scale)   (adam.h; equal lengths)
 *   sumOfSquares(x) -> number
 *   tanh(x, out)    out[i] = tanh(x[i]) (equal lengths)
 *   dropoutMask(out, keep, scale, seed)   out[i] = scale with probability keep, else 0 (seed: 0 .. 2^53)
 *   the Transformer's kernels: see transformer_bindings.c; the decoder steps: bindings_decoder.c, bindings_transformer_step.c
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <stdint.h>
#include "blas.h"
#include "lstm.h"
#include "adam.h"
#include "gru.h"
#include "elementwise.h"
#include "transformer_bindings.h"

#include "napi_args.h"
#include "bindings_decoder.h"
#include "bindings_transformer_step.h"

static napi_value info(napi_env env, napi_callback_info cb) {
  (void)cb;
  napi_value out, library, error, threads;
  napi_create_object(env, &out);
  if (blas_library()) napi_create_string_utf8(env, blas_library(), NAPI_AUTO_LENGTH, &library);
  else napi_get_null(env, &library);
  if (blas_error()) napi_create_string_utf8(env, blas_error(), NAPI_AUTO_LENGTH, &error);
  else napi_get_null(env, &error);
  napi_create_int32(env, blas_threads(), &threads);
  napi_set_named_property(env, out, "library", library);
  napi_set_named_property(env, out, "error", error);
  napi_set_named_property(env, out, "threads", threads);
  return out;
}


static napi_value open_js(napi_env env, napi_callback_info cb) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok || argc != 2) return throw_error(env, "open takes (library | null, poolThreads | null)");
  char library[1024] = "";
  napi_valuetype type;
  napi_typeof(env, argv[0], &type);
  if (type == napi_string) {
    size_t len = 0;
    if (napi_get_value_string_utf8(env, argv[0], library, sizeof(library), &len) != napi_ok || len >= sizeof(library) - 1) {
      return throw_error(env, "open: the library path is too long");
    }
  } else if (type != napi_null && type != napi_undefined) {
    return throw_error(env, "open: library must be a string or null");
  }
  int64_t pool = 0;
  napi_typeof(env, argv[1], &type);
  if (type != napi_null && type != napi_undefined && (!get_int(env, argv[1], &pool) || pool < 1 || pool > 256)) {
    return throw_error(env, "open: poolThreads must be a thread count from 1 to 256, or null");
  }
  blas_open(library[0] ? library : NULL, (int)pool);
  return NULL;
}

static napi_value set_threads(napi_env env, napi_callback_info cb) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t n;
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || !get_int(env, argv[0], &n) || n < 1 || n > 256) {
    return throw_error(env, "setThreads takes a thread count from 1 to 256");
  }
  blas_set_threads((int)n);
  return NULL;
}

static napi_value sgemm(napi_env env, napi_callback_info cb) {
  if (!blas_library()) return throw_error(env, "no optimised BLAS loaded");
  size_t argc = 12;
  napi_value argv[12];
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok || argc != 12) return throw_error(env, "sgemm takes 12 arguments");
  float *a, *b, *c, *bias = NULL;
  size_t na, nb, nc, nbias = 0;
  if (!get_f32(env, argv[0], &a, &na) || !get_f32(env, argv[1], &b, &nb) || !get_f32(env, argv[2], &c, &nc)) {
    return throw_error(env, "a, b and c must be Float32Arrays");
  }
  int64_t batch, m, n, k, stride_a, stride_b;
  bool trans_a = false, trans_b = false;
  if (!get_int(env, argv[3], &batch) || !get_int(env, argv[4], &m) || !get_int(env, argv[5], &n) || !get_int(env, argv[6], &k) ||
      napi_get_value_bool(env, argv[7], &trans_a) != napi_ok || napi_get_value_bool(env, argv[8], &trans_b) != napi_ok ||
      !get_int(env, argv[9], &stride_a) || !get_int(env, argv[10], &stride_b)) {
    return throw_error(env, "batch, m, n, k, strides must be integers and transA, transB booleans");
  }
  napi_valuetype bias_type;
  napi_typeof(env, argv[11], &bias_type);
  if (bias_type != napi_null && bias_type != napi_undefined) {
    if (!get_f32(env, argv[11], &bias, &nbias) || (int64_t)nbias != n) return throw_error(env, "bias must be a Float32Array of n values");
  }
  if (batch < 0 || m < 0 || n < 0 || k < 0 || stride_a < 0 || stride_b < 0 || m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) {
    return throw_error(env, "negative or too large dimension");
  }
  if (batch == 0 || m == 0 || n == 0) return NULL;
  /* Bounds: the last matrix of each operand must lie inside its view. */
  if ((uint64_t)((batch - 1) * stride_a + m * k) > na || (uint64_t)((batch - 1) * stride_b + k * n) > nb ||
      (uint64_t)(batch * m * n) > nc) {
    return throw_error(env, "a view is shorter than the matrices it should hold");
  }
  for (int64_t i = 0; i < batch; i++) {
    float *ci = c + i * m * n;
    if (bias) {
      for (int64_t r = 0; r < m; r++) memcpy(ci + r * n, bias, (size_t)n * sizeof(float));
    } else if (k == 0) {
      memset(ci, 0, (size_t)(m * n) * sizeof(float));
    }
    if (k == 0) continue;
    blas_sgemm_sized(trans_a, trans_b, (int)m, (int)n, (int)k, 1.0f, a + i * stride_a, trans_a ? (int)m : (int)k,
               b + i * stride_b, trans_b ? (int)k : (int)n, bias ? 1.0f : 0.0f, ci, (int)n);
  }
  return NULL;
}

/* The array sizes of the sequence kernels, in terms of T, B, H and G = gates * H. */
typedef enum { S_TBG, S_HG, S_G, S_BH, S_TB, S_TBH, S_T1BH, S_T2BH } size_kind;

/* A kernel's arrays in argument order; returns 0, or -1 when scratch memory could not be allocated. */
typedef int (*sequence_fn)(int T, int B, int H, int reverse, float **p);

static int run_lstm_forward(int T, int B, int H, int rev, float **p) {
  lstm_forward(blas_sgemm_sized, T, B, H, rev, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]);
  return 0;
}
static int run_lstm_backward(int T, int B, int H, int rev, float **p) {
  return lstm_backward(blas_sgemm_sized, T, B, H, rev, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10]);
}
static int run_gru_forward(int T, int B, int H, int rev, float **p) {
  return gru_forward(blas_sgemm_sized, T, B, H, rev, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]);
}
static int run_gru_backward(int T, int B, int H, int rev, float **p) {
  return gru_backward(blas_sgemm_sized, T, B, H, rev, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]);
}

typedef struct {
  const char *name;
  int gates;
  int arrays;
  size_kind sizes[11];
  sequence_fn run;
} sequence_kernel;

static const sequence_kernel SEQUENCE_KERNELS[] = {
  { "lstmForward", 4, 10, { S_TBG, S_HG, S_BH, S_BH, S_TB, S_T2BH, S_TBH, S_TBH, S_TBG, S_TBH }, run_lstm_forward },
  { "lstmBackward", 4, 11, { S_T2BH, S_HG, S_TBH, S_TBH, S_TBG, S_TBH, S_TB, S_TBG, S_HG, S_BH, S_BH }, run_lstm_backward },
  { "gruForward", 3, 9, { S_TBG, S_HG, S_G, S_BH, S_TB, S_T1BH, S_TBH, S_TBG, S_TBH }, run_gru_forward },
  { "gruBackward", 3, 10, { S_T1BH, S_HG, S_TBH, S_TBG, S_TBH, S_TB, S_TBG, S_HG, S_G, S_BH }, run_gru_backward },
};

/*
 * One binding for every sequence kernel (its table entry is the callback's data): reads its
 * Float32Arrays, then T, B, H, reverse, checking every array's length against what the kernel touches.
 */
static napi_value sequence_js(napi_env env, napi_callback_info cb) {
  char message[160];
  napi_value argv[16];
  size_t argc = 16;
  void *data = NULL;
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, &data) != napi_ok || !data) return throw_error(env, "sequence kernel: bad call");
  const sequence_kernel *k = (const sequence_kernel *)data;
  if (!blas_library()) return throw_error(env, "no optimised BLAS loaded");
  if (argc != (size_t)k->arrays + 4) {
    snprintf(message, sizeof(message), "%s takes %d arguments", k->name, k->arrays + 4);
    return throw_error(env, message);
  }
  int64_t t, b, h;
  bool reverse = false;
  napi_value *dims = argv + k->arrays;
  if (!get_int(env, dims[0], &t) || !get_int(env, dims[1], &b) || !get_int(env, dims[2], &h) ||
      napi_get_value_bool(env, dims[3], &reverse) != napi_ok || t < 0 || b < 0 || h < 0 || t >= (1 << 20) ||
      b >= (1 << 24) || h >= (1 << 20) || t * b * 4 * h >= INT32_MAX || 4 * h * h >= INT32_MAX) {
    snprintf(message, sizeof(message), "%s: T, B, H must be small non-negative integers, reverse a boolean", k->name);
    return throw_error(env, message);
  }
  float *p[11];
  const uint64_t BH = (uint64_t)(b * h), G = (uint64_t)(k->gates * h);
  for (int i = 0; i < k->arrays; i++) {
    uint64_t need = 0;
    switch (k->sizes[i]) {
      case S_TBG: need = (uint64_t)t * b * G; break;
      case S_HG: need = (uint64_t)h * G; break;
      case S_G: need = G; break;
      case S_BH: need = BH; break;
      case S_TB: need = (uint64_t)t * b; break;
      case S_TBH: need = (uint64_t)t * BH; break;
      case S_T1BH: need = (uint64_t)(t + 1) * BH; break;
      case S_T2BH: need = (uint64_t)(t + 2) * BH; break;
    }
    size_t len = 0;
    if (!get_f32(env, argv[i], &p[i], &len) || (uint64_t)len < need) {
      snprintf(message, sizeof(message), "%s: argument %d is not a Float32Array of at least %llu values", k->name, i + 1, (unsigned long long)need);
      return throw_error(env, message);
    }
  }
  if (k->run((int)t, (int)b, (int)h, reverse, p) != 0) {
    snprintf(message, sizeof(message), "%s: out of memory", k->name);
    return throw_error(env, message);
  }
  return NULL;
}

static int get_float(napi_env env, napi_value v, float *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return 0;
  *out = (float)d;
  return 1;
}

static napi_value adam_update_js(napi_env env, napi_callback_info cb) {
  size_t argc = 12;
  napi_value argv[12];
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok || argc != 12) return throw_error(env, "adamUpdate takes 12 arguments");
  float *p[7];
  size_t n = 0;
  for (int i = 0; i < 7; i++) {
    size_t len = 0;
    if (!get_f32(env, argv[i], &p[i], &len)) return throw_error(env, "adamUpdate: arrays must be Float32Arrays");
    if (i == 0) n = len;
    else if (len != n) return throw_error(env, "adamUpdate: arrays must have equal lengths");
  }
  float h[5];
  for (int i = 0; i < 5; i++) {
    if (!get_float(env, argv[7 + i], &h[i])) return throw_error(env, "adamUpdate: lrT, beta1, beta2, epsilon, scale must be numbers");
  }
  adam_update(n, p[0], p[1], p[2], p[3], h[0], h[1], h[2], h[3], h[4], p[4], p[5], p[6]);
  return NULL;
}

static napi_value sum_of_squares_js(napi_env env, napi_callback_info cb) {
  size_t argc = 1;
  napi_value argv[1], out;
  float *x;
  size_t n;
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || !get_f32(env, argv[0], &x, &n)) {
    return throw_error(env, "sumOfSquares takes one Float32Array");
  }
  napi_create_double(env, sum_of_squares(n, x), &out);
  return out;
}

static napi_value tanh_js(napi_env env, napi_callback_info cb) {
  size_t argc = 2;
  napi_value argv[2];
  float *x, *out;
  size_t nx, nout;
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok || argc != 2 || !get_f32(env, argv[0], &x, &nx) ||
      !get_f32(env, argv[1], &out, &nout) || nx != nout) {
    return throw_error(env, "tanh takes two Float32Arrays of equal length");
  }
  tanh_array(nx, x, out);
  return NULL;
}

static napi_value dropout_mask_js(napi_env env, napi_callback_info cb) {
  size_t argc = 4;
  napi_value argv[4];
  float *out;
  size_t n;
  double keep, scale, seed;
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok || argc != 4 || !get_f32(env, argv[0], &out, &n) ||
      napi_get_value_double(env, argv[1], &keep) != napi_ok || napi_get_value_double(env, argv[2], &scale) != napi_ok ||
      napi_get_value_double(env, argv[3], &seed) != napi_ok || !(keep >= 0 && keep <= 1) || !(seed >= 0 && seed < 9007199254740992.0)) {
    return throw_error(env, "dropoutMask takes (Float32Array, keep in [0, 1], scale, seed in [0, 2^53))");
  }
  dropout_mask(n, (float)keep, (float)scale, (uint64_t)seed, out);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    { "open", NULL, open_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "info", NULL, info, NULL, NULL, NULL, napi_enumerable, NULL },
    { "sgemm", NULL, sgemm, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setThreads", NULL, set_threads, NULL, NULL, NULL, napi_enumerable, NULL },
    { "adamUpdate", NULL, adam_update_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "dropoutMask", NULL, dropout_mask_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "tanh", NULL, tanh_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "sumOfSquares", NULL, sum_of_squares_js, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  for (size_t i = 0; i < sizeof(SEQUENCE_KERNELS) / sizeof(SEQUENCE_KERNELS[0]); i++) {
    napi_property_descriptor d = { SEQUENCE_KERNELS[i].name, NULL, sequence_js, NULL, NULL, NULL, napi_enumerable, (void *)&SEQUENCE_KERNELS[i] };
    napi_define_properties(env, exports, 1, &d);
  }
  register_transformer_kernels(env, exports);
  define_decoder_bindings(env, exports);
  define_transformer_step_bindings(env, exports);
  return exports;
}
