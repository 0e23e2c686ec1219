/* See adam.h. Element-wise loops written for the compiler to vectorise. */
#include "adam.h"
#include <math.h>
#include "vectorize.h"

VECTOR_CLONES
void adam_update(size_t n, const float *restrict p, const float *restrict g, const float *restrict m, const float *restrict v,
                 float lr_t, float beta1, float beta2, float epsilon, float scale, float *restrict p_out,
                 float *restrict m_out, float *restrict v_out) {
  const float one_b1 = 1.0f - beta1, one_b2 = 1.0f - beta2;
  for (size_t i = 0; i < n; i++) {
    float gi = g[i] * scale;
    float mi = m[i] * beta1 + gi * one_b1;
    float vi = v[i] * beta2 + gi * gi * one_b2;
    m_out[i] = mi;
    v_out[i] = vi;
    p_out[i] = p[i] - (mi * lr_t) / (sqrtf(vi) + epsilon);
  }
}

VECTOR_CLONES
double sum_of_squares(size_t n, const float *restrict x) {
  /* Eight float lanes per block of 1024 (vectorised), blocks accumulated in double. */
  double total = 0;
  size_t i = 0;
  for (; i + 1024 <= n; i += 1024) {
    float lane[8] = { 0 };
    for (size_t j = 0; j < 1024; j += 8)
      for (int k = 0; k < 8; k++) lane[k] += x[i + j + k] * x[i + j + k];
    for (int k = 0; k < 8; k++) total += lane[k];
  }
  for (; i < n; i++) total += (double)x[i] * x[i];
  return total;
}
