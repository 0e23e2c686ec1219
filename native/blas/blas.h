/*
 * The BLAS as the kernels see it: one matrix-multiply function type, its transpose flags, and the
 * loader that opens an optimised BLAS at run time (blas_loader.c). The kernels (lstm.c, gru.c) take
 * the multiply as an argument; the N-API bindings (bindings.c) pass blas_sgemm_sized.
 */
#ifndef SEQ2SEQ_BLAS_H
#define SEQ2SEQ_BLAS_H

/* trans_a / trans_b of seq2seq_sgemm_fn. */
enum { NO_TRANS = 0, TRANS = 1 };

/* Row-major C = alpha op(A) op(B) + beta C, as cblas_sgemm with CblasRowMajor. */
typedef void (*seq2seq_sgemm_fn)(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                                 const float *b, int ldb, float beta, float *c, int ldc);

/*
 * Opens the first optimised BLAS that loads: `library` if not NULL, then the platform's usual names
 * (never the reference BLAS). pool_threads > 0 sizes OpenBLAS's thread pool (else the user's
 * OPENBLAS_NUM_THREADS, else at most 4). Only the first call opens; later calls do nothing.
 */
void blas_open(const char *library, int pool_threads);

/* The library in use, or NULL; why none was opened, or NULL. */
const char *blas_library(void);
const char *blas_error(void);

/* Threads for large multiplies from now on (small ones use one); the count asked for. */
void blas_set_threads(int n);
int blas_threads(void);

/* Every multiply goes through here: the thread count for its size, then the BLAS. Needs blas_library(). */
void blas_sgemm_sized(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc);

#endif
