/* See elementwise.h. */
#include "elementwise.h"
#include "fast_tanh.h"
#include "vectorize.h"

VECTOR_CLONES
void tanh_array(size_t n, const float *x, float *out) {
  for (size_t i = 0; i < n; i++) out[i] = fast_tanhf(x[i]);
}

/* splitmix64's output function: a well-mixed 64-bit value for each counter value. */
static inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void dropout_mask(size_t n, float keep, float scale, uint64_t seed, float *out) {
  /* keep as a 24-bit threshold: P(u < threshold) = keep for u uniform on [0, 2^24). */
  const uint32_t threshold = (uint32_t)(keep * 16777216.0f + 0.5f);
  const uint64_t base = seed * 0x9e3779b97f4a7c15ULL;
  for (size_t i = 0; i < n; i++) {
    uint32_t u = (uint32_t)(mix64(base + (uint64_t)i * 0x9e3779b97f4a7c15ULL) >> 40);
    out[i] = u < threshold ? scale : 0.0f;
  }
}
