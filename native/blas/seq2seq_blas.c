/*
 * seq2seq_blas: matrix multiplies for the WebAssembly backend, done by the machine's optimised BLAS
 * (OpenBLAS on Linux, Accelerate on macOS) straight on the wasm heap, without copies.
 *
 * The BLAS library is opened at run time (dlopen), so building this needs only a C compiler and
 * Node's headers: no BLAS headers, no link-time dependency. When no optimised BLAS is found the
 * module still loads and reports why in info().error; the engine then keeps the wasm kernels.
 *
 * JavaScript API (N-API, usable from worker threads):
 *   info() -> { library: string | null, error: string | null, threads: number (as set by setThreads) }
 *   setThreads(n)   threads for large multiplies from now on (process-wide; small ones use one;
 *                   no effect on a BLAS without openblas_set_num_threads)
 *   sgemm(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, bias | null)
 *     a, b, c: Float32Array views (c is written); for each i < batch:
 *     C_i[m x n] = op(A_i) op(B_i) (+ bias[n], broadcast over rows), where A_i starts at i * strideA
 *     and B_i at i * strideB elements (a stride of 0 broadcasts one matrix), C_i at i * m * n;
 *     op(A) is A [m x k] row-major, or A stored as [k x m] when transA (likewise B: [k x n] or [n x k]).
 *     Every view's length is checked against the elements the call will touch.
 *   lstmForward(xw, wh, h0, c0, mask, packed, hPrev, cPrev, gates, tc, T, B, H, reverse)
 *   lstmBackward(dy, wh, hPrev, cPrev, gates, tc, mask, dxw, dwh, dh0, dc0, T, B, H, reverse)
 *     a whole LSTM sequence forward / backward (lstm.h); all arrays Float32Array, sizes checked.
 *   gruForward(xw, u, bRec, h0, mask, packed, hPrev, gates, hn, T, B, H, reverse)
 *   gruBackward(dy, u, hPrev, gates, hn, mask, dxw, du, dbRec, dh0, T, B, H, reverse)
 *     a whole GRU sequence forward / backward (gru.h)
 *   adamUpdate(p, g, m, v, pOut, mOut, vOut, lrT, beta1, beta2, epsilon, scale)   (adam.h; equal lengths)
 *   sumOfSquares(x) -> number
 *   tanh(x, out)    out[i] = tanh(x[i]) (equal lengths)
 *   dropoutMask(out, keep, scale, seed)   out[i] = scale with probability keep, else 0 (seed: 0 .. 2^53)
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#define NAPI_VERSION 8
#include <node_api.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <stdint.h>
#include "lstm.h"
#include "adam.h"
#include "gru.h"
#include "elementwise.h"

enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };
typedef void (*sgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
typedef void (*set_threads_fn)(int);

static sgemm_fn blas_sgemm = NULL;
static set_threads_fn blas_set_threads = NULL;
static char blas_library[512] = "";
static char blas_error[1024] = "";
/* Threads asked for with setThreads, and the count the BLAS is set to now. Multiplies smaller than
 * PARALLEL_MIN_MACS run on one thread: waking a second costs more than it saves there (decoding). */
static int wanted_threads = 1, current_threads = -1;
#define PARALLEL_MIN_MACS (4.0 * 1024 * 1024)

/* Opens the first optimised BLAS that loads; SEQ2SEQ_BLAS_LIB names one explicitly. Never the
 * reference BLAS (libblas.so.3 may be Netlib's, ~50x slower than the wasm backend's XNNPACK). */
static void open_blas(void) {
  static int tried = 0;
  if (tried) return;
  tried = 1;
  /* The BLAS's thread pool: SEQ2SEQ_BLAS_THREADS, else the user's OPENBLAS_NUM_THREADS, else at most 4
   * (OpenBLAS caps it at the core count). The engine sets the count in use with setThreads(). */
  if (getenv("SEQ2SEQ_BLAS_THREADS")) setenv("OPENBLAS_NUM_THREADS", getenv("SEQ2SEQ_BLAS_THREADS"), 1);
  else setenv("OPENBLAS_NUM_THREADS", "4", 0);
  const char *candidates[] = {
    getenv("SEQ2SEQ_BLAS_LIB"),
#ifdef __APPLE__
    "/System/Library/Frameworks/Accelerate.framework/Accelerate",
    "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
    "/usr/local/opt/openblas/lib/libopenblas.dylib",
#else
    "libopenblas.so.0",
    "libopenblas.so",
    "libopenblasp.so.0",
#endif
  };
  size_t used = 0;
  for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
    const char *name = candidates[i];
    if (!name || !*name) continue;
    void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char *why = dlerror();
      used += (size_t)snprintf(blas_error + used, used < sizeof(blas_error) ? sizeof(blas_error) - used : 0,
                               "%s%s", used ? "; " : "", why ? why : name);
      continue;
    }
    sgemm_fn f = (sgemm_fn)dlsym(lib, "cblas_sgemm");
    if (!f) {
      used += (size_t)snprintf(blas_error + used, used < sizeof(blas_error) ? sizeof(blas_error) - used : 0,
                               "%s%s has no cblas_sgemm", used ? "; " : "", name);
      dlclose(lib);
      continue;
    }
    blas_sgemm = f;
    blas_set_threads = (set_threads_fn)dlsym(lib, "openblas_set_num_threads");
    snprintf(blas_library, sizeof(blas_library), "%s", name);
    blas_error[0] = 0;
    return;
  }
  if (!used) snprintf(blas_error, sizeof(blas_error), "no BLAS library to try");
}

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, "SEQ2SEQ_BLAS", message);
  return NULL;
}

static int get_int(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

/* A Float32Array's data pointer and length; 0 if v is not one. */
static int get_f32(napi_env env, napi_value v, float **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, length, &ptr, NULL, NULL) != napi_ok) return 0;
  if (type != napi_float32_array) return 0;
  *data = (float *)ptr;
  return 1;
}

static napi_value info(napi_env env, napi_callback_info cb) {
  (void)cb;
  napi_value out, library, error, threads;
  napi_create_object(env, &out);
  if (blas_sgemm) napi_create_string_utf8(env, blas_library, NAPI_AUTO_LENGTH, &library);
  else napi_get_null(env, &library);
  if (blas_sgemm) napi_get_null(env, &error);
  else napi_create_string_utf8(env, blas_error, NAPI_AUTO_LENGTH, &error);
  napi_create_int32(env, wanted_threads, &threads);
  napi_set_named_property(env, out, "library", library);
  napi_set_named_property(env, out, "error", error);
  napi_set_named_property(env, out, "threads", threads);
  return out;
}


static void threads_for(int64_t m, int64_t n, int64_t k) {
  int t = (double)m * (double)n * (double)k >= PARALLEL_MIN_MACS ? wanted_threads : 1;
  if (t != current_threads && blas_set_threads) blas_set_threads(t);
  current_threads = t;
}

/* Every multiply goes through here. */
static void sgemm_sized(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc) {
  threads_for(m, n, k);
  blas_sgemm(CBLAS_ROW_MAJOR, trans_a ? CBLAS_TRANS : CBLAS_NO_TRANS, trans_b ? CBLAS_TRANS : CBLAS_NO_TRANS, m, n, k,
             alpha, a, lda, b, ldb, beta, c, ldc);
}

static napi_value set_threads(napi_env env, napi_callback_info cb) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t n;
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || !get_int(env, argv[0], &n) || n < 1 || n > 256) {
    return throw_error(env, "setThreads takes a thread count from 1 to 256");
  }
  wanted_threads = (int)n;
  current_threads = -1;
  return NULL;
}

static napi_value sgemm(napi_env env, napi_callback_info cb) {
  if (!blas_sgemm) return throw_error(env, "no optimised BLAS loaded");
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
    sgemm_sized(trans_a, trans_b, (int)m, (int)n, (int)k, 1.0f, a + i * stride_a, trans_a ? (int)m : (int)k,
               b + i * stride_b, trans_b ? (int)k : (int)n, bias ? 1.0f : 0.0f, ci, (int)n);
  }
  return NULL;
}

/* The array sizes of the sequence kernels, in terms of T, B, H and G = gates * H. */
typedef enum { S_TBG, S_HG, S_G, S_BH, S_TB, S_TBH, S_T1BH, S_T2BH } size_kind;

typedef struct {
  const char *name;
  int gates;
  int arrays;
  size_kind sizes[11];
} sequence_kernel;

static const sequence_kernel LSTM_FORWARD = { "lstmForward", 4, 10, { S_TBG, S_HG, S_BH, S_BH, S_TB, S_T2BH, S_TBH, S_TBH, S_TBG, S_TBH } };
static const sequence_kernel LSTM_BACKWARD = { "lstmBackward", 4, 11, { S_T2BH, S_HG, S_TBH, S_TBH, S_TBG, S_TBH, S_TB, S_TBG, S_HG, S_BH, S_BH } };
static const sequence_kernel GRU_FORWARD = { "gruForward", 3, 9, { S_TBG, S_HG, S_G, S_BH, S_TB, S_T1BH, S_TBH, S_TBG, S_TBH } };
static const sequence_kernel GRU_BACKWARD = { "gruBackward", 3, 10, { S_T1BH, S_HG, S_TBH, S_TBG, S_TBH, S_TB, S_TBG, S_HG, S_G, S_BH } };

/*
 * Reads a sequence kernel's arguments (its Float32Arrays, then T, B, H, reverse), checking every
 * array's length against what the kernel touches. Returns 0 with a JS exception pending if not.
 */
static int sequence_args(napi_env env, napi_callback_info cb, const sequence_kernel *k, float **p, int *T, int *B, int *H, bool *reverse) {
  char message[160];
  napi_value argv[16];
  size_t argc = 16;
  if (!blas_sgemm) { throw_error(env, "no optimised BLAS loaded"); return 0; }
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok || argc != (size_t)k->arrays + 4) {
    snprintf(message, sizeof(message), "%s takes %d arguments", k->name, k->arrays + 4);
    throw_error(env, message);
    return 0;
  }
  int64_t t, b, h;
  napi_value *dims = argv + k->arrays;
  if (!get_int(env, dims[0], &t) || !get_int(env, dims[1], &b) || !get_int(env, dims[2], &h) ||
      napi_get_value_bool(env, dims[3], reverse) != napi_ok || t < 0 || b < 0 || h < 0 || t >= (1 << 20) ||
      b >= (1 << 24) || h >= (1 << 20) || t * b * 4 * h >= INT32_MAX || 4 * h * h >= INT32_MAX) {
    snprintf(message, sizeof(message), "%s: T, B, H must be small non-negative integers, reverse a boolean", k->name);
    throw_error(env, message);
    return 0;
  }
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
      throw_error(env, message);
      return 0;
    }
  }
  *T = (int)t; *B = (int)b; *H = (int)h;
  return 1;
}

static napi_value lstm_forward_js(napi_env env, napi_callback_info cb) {
  float *p[10];
  int T, B, H;
  bool rev;
  if (!sequence_args(env, cb, &LSTM_FORWARD, p, &T, &B, &H, &rev)) return NULL;
  lstm_forward(sgemm_sized, T, B, H, rev, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]);
  return NULL;
}

static napi_value lstm_backward_js(napi_env env, napi_callback_info cb) {
  float *p[11];
  int T, B, H;
  bool rev;
  if (!sequence_args(env, cb, &LSTM_BACKWARD, p, &T, &B, &H, &rev)) return NULL;
  if (lstm_backward(sgemm_sized, T, B, H, rev, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10]) != 0) {
    return throw_error(env, "lstmBackward: out of memory");
  }
  return NULL;
}

static napi_value gru_forward_js(napi_env env, napi_callback_info cb) {
  float *p[9];
  int T, B, H;
  bool rev;
  if (!sequence_args(env, cb, &GRU_FORWARD, p, &T, &B, &H, &rev)) return NULL;
  if (gru_forward(sgemm_sized, T, B, H, rev, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]) != 0) {
    return throw_error(env, "gruForward: out of memory");
  }
  return NULL;
}

static napi_value gru_backward_js(napi_env env, napi_callback_info cb) {
  float *p[10];
  int T, B, H;
  bool rev;
  if (!sequence_args(env, cb, &GRU_BACKWARD, p, &T, &B, &H, &rev)) return NULL;
  if (gru_backward(sgemm_sized, T, B, H, rev, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]) != 0) {
    return throw_error(env, "gruBackward: out of memory");
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
  open_blas();
  napi_property_descriptor props[] = {
    { "info", NULL, info, NULL, NULL, NULL, napi_enumerable, NULL },
    { "sgemm", NULL, sgemm, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setThreads", NULL, set_threads, NULL, NULL, NULL, napi_enumerable, NULL },
    { "lstmForward", NULL, lstm_forward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "lstmBackward", NULL, lstm_backward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "gruForward", NULL, gru_forward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "gruBackward", NULL, gru_backward_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "adamUpdate", NULL, adam_update_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "dropoutMask", NULL, dropout_mask_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "tanh", NULL, tanh_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "sumOfSquares", NULL, sum_of_squares_js, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
