/*
 * Row-major C = A B + beta C (no transposes) for matrices of few rows, as a decoding step multiplies
 * (one line: 1-5 rows against a [H, 4H] recurrent kernel). The BLAS packs B on every call, which
 * costs more than the product at these sizes (bench/README.md); this streams B once per 6 rows.
 */
#ifndef SEQ2SEQ_SMALL_GEMM_H
#define SEQ2SEQ_SMALL_GEMM_H

/* Rows of C held in registers per pass over B. */
#define SMALL_GEMM_ROWS 6

void small_sgemm(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

#endif
