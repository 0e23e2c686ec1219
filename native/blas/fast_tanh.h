/*
 * tanh and the logistic sigmoid for whole arrays, as plain arithmetic the compiler vectorises
 * (no libm calls in the loop). tanh is a 13/6 rational approximation on [-7.9, 7.9] (the form
 * Eigen uses for float tanh; maximum error about 1e-6 absolute), and sigmoid(x) = (1 + tanh(x/2)) / 2.
 */
#ifndef SEQ2SEQ_FAST_TANH_H
#define SEQ2SEQ_FAST_TANH_H
#include <math.h>

static inline float fast_tanhf(float a) {
  const float clamp = 7.90531110763549805f;
  /* Branch-free selects (no && / nested ?:) so that loops over arrays vectorise. */
  float x = a < clamp ? a : clamp;
  x = x > -clamp ? x : -clamp;
  float x2 = x * x;
  float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = x2 * p + -8.60467152213735e-11f;
  p = x2 * p + 5.12229709037114e-08f;
  p = x2 * p + 1.48572235717979e-05f;
  p = x2 * p + 6.37261928875436e-04f;
  p = x2 * p + 4.89352455891786e-03f;
  p = x * p;
  float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
  q = x2 * q + 2.26843463243900e-03f;
  q = x2 * q + 4.89352518554385e-03f;
  float r = p / q;
  /* Near 0 tanh(x) = x to float precision; the rational form is exact enough there too, but keep x. */
  return fabsf(a) < 0.0004f ? a : r;
}

static inline float fast_sigmoidf(float x) {
  return 0.5f + 0.5f * fast_tanhf(0.5f * x);
}

#endif
