/* See small_gemm.h. C's few rows stay in L1 while B streams through once, four rows at a time in
 * memory order (prefetch-friendly; walking B by column blocks instead strides by whole rows and
 * misses the cache on every load). Plain loops the compiler vectorises (vectorize.h). */
#include "small_gemm.h"
#include <stddef.h>
#include "vectorize.h"

VECTOR_CLONES
void small_sgemm(int m, int n, int k, const float *restrict a, int lda, const float *restrict b, int ldb, float beta,
                 float *restrict c, int ldc) {
  for (int r = 0; r < m; r++) {
    float *cr = c + (size_t)r * ldc;
    if (beta == 0.0f) {
      for (int j = 0; j < n; j++) cr[j] = 0.0f;
    } else if (beta != 1.0f) {
      for (int j = 0; j < n; j++) cr[j] *= beta;
    }
  }
  int p = 0;
  for (; p + 4 <= k; p += 4) {
    const float *b0 = b + (size_t)p * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
    for (int r = 0; r < m; r++) {
      const float *ar = a + (size_t)r * lda + p;
      const float x0 = ar[0], x1 = ar[1], x2 = ar[2], x3 = ar[3];
      float *cr = c + (size_t)r * ldc;
      for (int j = 0; j < n; j++) cr[j] += x0 * b0[j] + x1 * b1[j] + x2 * b2[j] + x3 * b3[j];
    }
  }
  for (; p < k; p++) {
    const float *b0 = b + (size_t)p * ldb;
    for (int r = 0; r < m; r++) {
      const float x0 = a[(size_t)r * lda + p];
      float *cr = c + (size_t)r * ldc;
      for (int j = 0; j < n; j++) cr[j] += x0 * b0[j];
    }
  }
}
