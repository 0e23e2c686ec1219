/* See transformer.h. Loops over a row's elements are written for the compiler to vectorise. */
#include "transformer.h"
#include <math.h>
#include <string.h>
#include "fast_exp.h"
#include "vectorize.h"

VECTOR_CLONES
void layer_norm_forward(size_t rows, size_t d, const float *x, const float *gamma, const float *beta, float eps,
                        float *y, float *mean, float *rstd) {
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * d;
    float *yr = y + r * d;
    float sum = 0;
    for (size_t i = 0; i < d; i++) sum += xr[i];
    const float mu = sum / (float)d;
    float sq = 0;
    for (size_t i = 0; i < d; i++) { float c = xr[i] - mu; sq += c * c; }
    const float rs = 1.0f / sqrtf(sq / (float)d + eps);
    for (size_t i = 0; i < d; i++) yr[i] = (xr[i] - mu) * rs * gamma[i] + beta[i];
    mean[r] = mu;
    rstd[r] = rs;
  }
}

VECTOR_CLONES
void layer_norm_backward(size_t rows, size_t d, const float *dy, const float *x, const float *gamma, const float *mean,
                         const float *rstd, float *dx, float *dgamma, float *dbeta) {
  memset(dgamma, 0, d * sizeof(float));
  memset(dbeta, 0, d * sizeof(float));
  for (size_t r = 0; r < rows; r++) {
    const float *dyr = dy + r * d, *xr = x + r * d;
    float *dxr = dx + r * d;
    const float mu = mean[r], rs = rstd[r];
    /* With xhat = (x - mu) rs and g = dy gamma: dx = rs (g - mean(g) - xhat mean(g xhat)). */
    float sum_g = 0, sum_gx = 0;
    for (size_t i = 0; i < d; i++) {
      const float xhat = (xr[i] - mu) * rs;
      const float g = dyr[i] * gamma[i];
      sum_g += g;
      sum_gx += g * xhat;
      dgamma[i] += dyr[i] * xhat;
      dbeta[i] += dyr[i];
    }
    const float mg = sum_g / (float)d, mgx = sum_gx / (float)d;
    for (size_t i = 0; i < d; i++) {
      const float xhat = (xr[i] - mu) * rs;
      dxr[i] = rs * (dyr[i] * gamma[i] - mg - xhat * mgx);
    }
  }
}

VECTOR_CLONES
void masked_softmax_forward(size_t b, size_t h, size_t tq, size_t tk, const float *scores, const float *mask, size_t mq,
                            float scale, float *y) {
  for (size_t bi = 0; bi < b; bi++) {
    for (size_t hi = 0; hi < h; hi++) {
      for (size_t q = 0; q < tq; q++) {
        const size_t row = ((bi * h + hi) * tq + q) * tk;
        const float *s = scores + row;
        const float *m = mask ? mask + (bi * mq + (mq == 1 ? 0 : q)) * tk : NULL;
        float *yr = y + row;
        float max = -INFINITY;
        for (size_t j = 0; j < tk; j++) {
          const float v = s[j] * scale + (m ? m[j] : 0.0f);
          yr[j] = v;
          max = v > max ? v : max;
        }
        float sum = 0;
        for (size_t j = 0; j < tk; j++) { const float e = fast_expf(yr[j] - max); yr[j] = e; sum += e; }
        const float inv = 1.0f / sum;
        for (size_t j = 0; j < tk; j++) yr[j] *= inv;
      }
    }
  }
}

VECTOR_CLONES
void masked_softmax_backward(size_t rows, size_t tk, const float *y, const float *dy, float scale, float *dx) {
  for (size_t r = 0; r < rows; r++) {
    const float *yr = y + r * tk, *dyr = dy + r * tk;
    float *dxr = dx + r * tk;
    float dot = 0;
    for (size_t j = 0; j < tk; j++) dot += dyr[j] * yr[j];
    for (size_t j = 0; j < tk; j++) dxr[j] = scale * yr[j] * (dyr[j] - dot);
  }
}

#define SQRT1_2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

VECTOR_CLONES
void gelu_forward(size_t n, const float *x, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + fast_erff(x[i] * SQRT1_2));
}

VECTOR_CLONES
void gelu_backward(size_t n, const float *x, const float *dy, float *dx) {
  for (size_t i = 0; i < n; i++) {
    const float xi = x[i];
    const float cdf = 0.5f * (1.0f + fast_erff(xi * SQRT1_2));
    const float pdf = INV_SQRT_2PI * fast_expf(-0.5f * xi * xi);
    dx[i] = dy[i] * (cdf + xi * pdf);
  }
}

VECTOR_CLONES
void bias_dropout_residual_forward(size_t rows, size_t d, const float *x, const float *bias, const float *residual,
                                   const float *mask, float *out) {
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * d, *rr = residual + r * d;
    float *o = out + r * d;
    if (mask) {
      const float *mr = mask + r * d;
      for (size_t i = 0; i < d; i++) o[i] = rr[i] + mr[i] * (xr[i] + bias[i]);
    } else {
      for (size_t i = 0; i < d; i++) o[i] = rr[i] + xr[i] + bias[i];
    }
  }
}

VECTOR_CLONES
void bias_dropout_residual_backward(size_t rows, size_t d, const float *dy, const float *mask, float *dx, float *dbias) {
  memset(dbias, 0, d * sizeof(float));
  for (size_t r = 0; r < rows; r++) {
    const float *dyr = dy + r * d;
    float *dxr = dx + r * d;
    if (mask) {
      const float *mr = mask + r * d;
      for (size_t i = 0; i < d; i++) dxr[i] = mr[i] * dyr[i];
    } else {
      memcpy(dxr, dyr, d * sizeof(float));
    }
    for (size_t i = 0; i < d; i++) dbias[i] += dxr[i];
  }
}

/* max and log sum exp of one row. */
static inline float row_lse(size_t v, const float *x) {
  float max = -INFINITY;
  for (size_t j = 0; j < v; j++) max = x[j] > max ? x[j] : max;
  float sum = 0;
  for (size_t j = 0; j < v; j++) sum += fast_expf(x[j] - max);
  return max + logf(sum);
}

VECTOR_CLONES
void cross_entropy_forward(size_t rows, size_t v, const float *logits, const int32_t *targets, float eps, float *loss, float *lse) {
  for (size_t r = 0; r < rows; r++) {
    const float *x = logits + r * v;
    const float l = row_lse(v, x);
    float sum = 0;
    for (size_t j = 0; j < v; j++) sum += x[j];
    lse[r] = l;
    loss[r] = l - (1.0f - eps) * x[targets[r]] - eps * sum / (float)v;
  }
}

VECTOR_CLONES
void cross_entropy_backward(size_t rows, size_t v, const float *logits, const int32_t *targets, const float *lse,
                            const float *dloss, float eps, float *dlogits) {
  const float uniform = eps / (float)v;
  for (size_t r = 0; r < rows; r++) {
    const float *x = logits + r * v;
    float *dx = dlogits + r * v;
    const float g = dloss[r], l = lse[r];
    for (size_t j = 0; j < v; j++) dx[j] = g * (fast_expf(x[j] - l) - uniform);
    dx[targets[r]] -= g * (1.0f - eps);
  }
}

VECTOR_CLONES
void log_softmax_rows(size_t rows, size_t v, const float *x, float *y) {
  for (size_t r = 0; r < rows; r++) {
    const float l = row_lse(v, x + r * v);
    for (size_t j = 0; j < v; j++) y[r * v + j] = x[r * v + j] - l;
  }
}
