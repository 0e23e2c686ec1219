/* Element-wise kernels over whole arrays, vectorised where the compiler can. */
#ifndef SEQ2SEQ_ELEMENTWISE_H
#define SEQ2SEQ_ELEMENTWISE_H
#include <stddef.h>
#include <stdint.h>

/* out[i] = tanh(x[i]) (see fast_tanh.h for the approximation); out may be x. */
void tanh_array(size_t n, const float *x, float *out);

/*
 * A dropout mask: out[i] = scale with probability keep, else 0, from a counter-based generator
 * (splitmix64 of seed + i), so the same seed gives the same mask.
 */
void dropout_mask(size_t n, float keep, float scale, uint64_t seed, float *out);

#endif
