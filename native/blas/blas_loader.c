/*
 * See blas.h. Two ways to have a BLAS:
 * - SEQ2SEQ_STATIC_BLAS (native/build.mjs, when OpenBLAS's static library is there at build time, as
 *   on Debian/Ubuntu with libopenblas-pthread-dev): OpenBLAS is linked into the addon, so it runs
 *   with no BLAS installed; a `library` given to blas_open is still tried first;
 * - otherwise the BLAS is opened with dlopen at run time (building needs no BLAS headers): the system's
 *   OpenBLAS, or Accelerate on macOS.
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "blas.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };
typedef void (*cblas_sgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                               const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
typedef void (*cblas_sgemv_fn)(int order, int trans, int m, int n, float alpha, const float *a, int lda, const float *x, int incx,
                               float beta, float *y, int incy);
typedef void (*set_threads_fn)(int);

static cblas_sgemm_fn sgemm_fn = NULL;
static cblas_sgemv_fn sgemv_fn = NULL;
static set_threads_fn openblas_set_threads = NULL;
static char library_name[512] = "";
static char error_message[1024] = "";
/* Threads asked for with blas_set_threads, and the count the BLAS is set to now. Multiplies smaller
 * than PARALLEL_MIN_MACS run on one thread: waking a second costs more than it saves there (decoding). */
static int wanted_threads = 1, current_threads = -1;
#define PARALLEL_MIN_MACS (4.0 * 1024 * 1024)
/* A product of at most this many rows against a B of at least GEMV_MIN_K x GEMV_MIN_N goes row by row
 * through sgemv: sgemm packs B on every call, which costs more than the product here (decoding one
 * line: 1-5 rows against a [H, 4H] kernel; bench/README.md has the figures). */
#define GEMV_MAX_M 8
#define GEMV_MIN_K 128
#define GEMV_MIN_N 256
/* OpenBLAS's pool when nobody says otherwise: these matrices gain little beyond 4 threads. */
#define DEFAULT_POOL "4"

#ifdef SEQ2SEQ_STATIC_BLAS
void cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);
void cblas_sgemv(int order, int trans, int m, int n, float alpha, const float *a, int lda, const float *x, int incx, float beta,
                 float *y, int incy);
void openblas_set_num_threads(int n);
char *openblas_get_config(void);

/* The linked OpenBLAS starts its thread pool when the addon is loaded, sized by OPENBLAS_NUM_THREADS
 * (else one thread per core): this runs first (constructors with a priority precede the others). */
__attribute__((constructor(101))) static void default_pool(void) { setenv("OPENBLAS_NUM_THREADS", DEFAULT_POOL, 0); }
#endif

/* Tries one library by name; on failure appends why to error_message. */
static int try_library(const char *name, size_t *used) {
  void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  const char *why = lib ? NULL : dlerror();
  cblas_sgemm_fn f = lib ? (cblas_sgemm_fn)dlsym(lib, "cblas_sgemm") : NULL;
  if (!f) {
    *used += (size_t)snprintf(error_message + *used, *used < sizeof(error_message) ? sizeof(error_message) - *used : 0,
                              "%s%s%s", *used ? "; " : "", why ? why : name, why ? "" : " has no cblas_sgemm");
    if (lib) dlclose(lib);
    return 0;
  }
  sgemm_fn = f;
  sgemv_fn = (cblas_sgemv_fn)dlsym(lib, "cblas_sgemv");
  openblas_set_threads = (set_threads_fn)dlsym(lib, "openblas_set_num_threads");
  snprintf(library_name, sizeof(library_name), "%s", name);
  return 1;
}

void blas_open(const char *library, int pool_threads) {
  static int tried = 0;
  if (tried) return;
  tried = 1;
  char pool[16];
  if (pool_threads > 0) {
    snprintf(pool, sizeof(pool), "%d", pool_threads);
    setenv("OPENBLAS_NUM_THREADS", pool, 1);
  } else {
    setenv("OPENBLAS_NUM_THREADS", DEFAULT_POOL, 0);
  }
  size_t used = 0;
  if (library && *library && try_library(library, &used)) goto opened;
#ifdef SEQ2SEQ_STATIC_BLAS
  sgemm_fn = cblas_sgemm;
  sgemv_fn = cblas_sgemv;
  openblas_set_threads = openblas_set_num_threads;
  snprintf(library_name, sizeof(library_name), "%s (linked into the addon)", openblas_get_config());
  /* The pool started at load; this sizes it as asked. */
  if (pool_threads > 0) openblas_set_num_threads(pool_threads);
  goto opened;
#else
  {
    const char *candidates[] = {
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
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
      if (try_library(candidates[i], &used)) goto opened;
    }
  }
  if (!used) snprintf(error_message, sizeof(error_message), "no BLAS library to try");
  return;
#endif
opened:
  error_message[0] = 0;
}

const char *blas_library(void) { return sgemm_fn ? library_name : NULL; }
const char *blas_error(void) { return sgemm_fn ? NULL : error_message; }

void blas_set_threads(int n) {
  wanted_threads = n;
  current_threads = -1;
}

int blas_threads(void) { return wanted_threads; }

static void threads_for(int m, int n, int k) {
  int t = (double)m * (double)n * (double)k >= PARALLEL_MIN_MACS ? wanted_threads : 1;
  if (t != current_threads && openblas_set_threads) openblas_set_threads(t);
  current_threads = t;
}

void blas_sgemm_sized(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc) {
  threads_for(m, n, k);
  if (sgemv_fn && !trans_a && m <= GEMV_MAX_M && k >= GEMV_MIN_K && n >= GEMV_MIN_N) {
    /* row i of C = op(B)^T-times row i of A, as y = B^T x (B [k, n]) or y = B x (B stored [n, k]) */
    for (int i = 0; i < m; i++) {
      sgemv_fn(CBLAS_ROW_MAJOR, trans_b ? CBLAS_NO_TRANS : CBLAS_TRANS, trans_b ? n : k, trans_b ? k : n, alpha, b, ldb,
               a + (size_t)i * lda, 1, beta, c + (size_t)i * ldc, 1);
    }
    return;
  }
  sgemm_fn(CBLAS_ROW_MAJOR, trans_a ? CBLAS_TRANS : CBLAS_NO_TRANS, trans_b ? CBLAS_TRANS : CBLAS_NO_TRANS, m, n, k, alpha, a,
           lda, b, ldb, beta, c, ldc);
}
