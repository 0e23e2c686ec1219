/* See blas.h. The BLAS is opened with dlopen, so building needs no BLAS headers and no link-time dependency. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "blas.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };
typedef void (*cblas_sgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                               const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
typedef void (*set_threads_fn)(int);

static cblas_sgemm_fn cblas_sgemm = NULL;
static set_threads_fn openblas_set_threads = NULL;
static char library_name[512] = "";
static char error_message[1024] = "";
/* Threads asked for with blas_set_threads, and the count the BLAS is set to now. Multiplies smaller
 * than PARALLEL_MIN_MACS run on one thread: waking a second costs more than it saves there (decoding). */
static int wanted_threads = 1, current_threads = -1;
#define PARALLEL_MIN_MACS (4.0 * 1024 * 1024)

void blas_open(const char *library, int pool_threads) {
  static int tried = 0;
  if (tried) return;
  tried = 1;
  char pool[16];
  if (pool_threads > 0) {
    snprintf(pool, sizeof(pool), "%d", pool_threads);
    setenv("OPENBLAS_NUM_THREADS", pool, 1);
  } else {
    setenv("OPENBLAS_NUM_THREADS", "4", 0);
  }
  const char *candidates[] = {
    library,
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
      used += (size_t)snprintf(error_message + used, used < sizeof(error_message) ? sizeof(error_message) - used : 0,
                               "%s%s", used ? "; " : "", why ? why : name);
      continue;
    }
    cblas_sgemm_fn f = (cblas_sgemm_fn)dlsym(lib, "cblas_sgemm");
    if (!f) {
      used += (size_t)snprintf(error_message + used, used < sizeof(error_message) ? sizeof(error_message) - used : 0,
                               "%s%s has no cblas_sgemm", used ? "; " : "", name);
      dlclose(lib);
      continue;
    }
    cblas_sgemm = f;
    openblas_set_threads = (set_threads_fn)dlsym(lib, "openblas_set_num_threads");
    snprintf(library_name, sizeof(library_name), "%s", name);
    error_message[0] = 0;
    return;
  }
  if (!used) snprintf(error_message, sizeof(error_message), "no BLAS library to try");
}

const char *blas_library(void) { return cblas_sgemm ? library_name : NULL; }
const char *blas_error(void) { return cblas_sgemm ? NULL : error_message; }

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
  cblas_sgemm(CBLAS_ROW_MAJOR, trans_a ? CBLAS_TRANS : CBLAS_NO_TRANS, trans_b ? CBLAS_TRANS : CBLAS_NO_TRANS, m, n, k,
              alpha, a, lda, b, ldb, beta, c, ldc);
}
