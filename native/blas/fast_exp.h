/*
 * exp and erf for whole arrays as plain arithmetic the compiler vectorises (no libm calls in the
 * loop). exp: 2^k e^r with |r| <= ln2/2 and a degree-6 polynomial (Cephes expf's coefficients;
 * relative error about 2e-7); erf: the rational approximation on [-4, 4] that Eigen and TensorFlow
 * use for float (absolute error about 1e-7; beyond, erf is +-1 in float).
 */
#ifndef SEQ2SEQ_FAST_EXP_H
#define SEQ2SEQ_FAST_EXP_H
#include <stdint.h>
#include <string.h>

static inline float fast_expf(float x) {
  /* Below -87.3 the result underflows to 0 (the large negative mask bias lands here); above 88.7 it is clamped. */
  const float lo = -87.3f, hi = 88.7f;
  float z = x < hi ? x : hi;
  z = z > lo ? z : lo;
  float k = __builtin_floorf(z * 1.44269504088896341f + 0.5f);
  float r = z - k * 0.693359375f;
  r = r - k * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = ((int32_t)k + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  float out = p * scale;
  return x > lo ? out : 0.0f;
}

static inline float fast_erff(float a) {
  float x = a < 4.0f ? a : 4.0f;
  x = x > -4.0f ? x : -4.0f;
  const float x2 = x * x;
  float p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
  p = x2 * p + -2.10102402082508e-06f;
  p = x2 * p + -5.69250639462346e-05f;
  p = x2 * p + -7.34990630326855e-04f;
  p = x2 * p + -2.95459980854025e-03f;
  p = x2 * p + -1.60960333262415e-02f;
  p = x * p;
  float q = x2 * -1.45660718464996e-05f + -2.13374055278905e-04f;
  q = x2 * q + -1.68282697438203e-03f;
  q = x2 * q + -7.37332916720468e-03f;
  q = x2 * q + -1.42647390514189e-02f;
  return p / q;
}

#endif
