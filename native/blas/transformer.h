/*
 * The Transformer's fused kernels (src/model/acceleration/native/transformer.ts): LayerNorm, the
 * masked softmax of attention, GELU, a sub-layer's bias + dropout + residual and the output's
 * cross-entropy, each forward and backward (and a log-softmax for decoding), over row-major float arrays. Rows are the last axis; nothing here allocates.
 */
#ifndef SEQ2SEQ_TRANSFORMER_H
#define SEQ2SEQ_TRANSFORMER_H
#include <stddef.h>
#include <stdint.h>

/* y = gamma * (x - mean) * rstd + beta per row of d; mean[r], rstd[r] = 1 / sqrt(var + eps) kept for the backward pass. */
void layer_norm_forward(size_t rows, size_t d, const float *x, const float *gamma, const float *beta, float eps,
                        float *y, float *mean, float *rstd);

/* dx, and dgamma, dbeta summed over rows (overwritten), from dy and the forward pass's x, mean, rstd. */
void layer_norm_backward(size_t rows, size_t d, const float *dy, const float *x, const float *gamma, const float *mean,
                         const float *rstd, float *dx, float *dgamma, float *dbeta);

/*
 * y = softmax(scale * scores + mask) over rows of tk. scores [b, h, tq, tk]; mask NULL or [b, 1, mq, tk]
 * with mq = 1 (one row for every query) or tq.
 */
void masked_softmax_forward(size_t b, size_t h, size_t tq, size_t tk, const float *scores, const float *mask, size_t mq,
                            float scale, float *y);

/* dscores = scale * y * (dy - sum(dy * y)) per row of tk. */
void masked_softmax_backward(size_t rows, size_t tk, const float *y, const float *dy, float scale, float *dx);

/* y = x * Phi(x) (erf form); dx = dy * (Phi(x) + x phi(x)). */
void gelu_forward(size_t n, const float *x, float *y);
void gelu_backward(size_t n, const float *x, const float *dy, float *dx);

/* out = residual + mask * (x + bias) per row of d (mask NULL: 1). */
void bias_dropout_residual_forward(size_t rows, size_t d, const float *x, const float *bias, const float *residual,
                                   const float *mask, float *out);

/* dx = mask * dy; dbias = sum over rows of dx (overwritten). (The residual's gradient is dy itself.) */
void bias_dropout_residual_backward(size_t rows, size_t d, const float *dy, const float *mask, float *dx, float *dbias);

/*
 * Per row of v logits: loss[r] = lse - (1 - eps) x[target] - eps mean(x), i.e. cross-entropy with
 * label smoothing eps (the uniform share over all v classes), and lse[r] = log sum exp(x) for the backward pass.
 */
void cross_entropy_forward(size_t rows, size_t v, const float *logits, const int32_t *targets, float eps, float *loss, float *lse);

/* dlogits = dloss[r] * (softmax(x) - (1 - eps) onehot(target) - eps / v). */
void cross_entropy_backward(size_t rows, size_t v, const float *logits, const int32_t *targets, const float *lse,
                            const float *dloss, float eps, float *dlogits);

/* y = x - log sum exp(x) per row of v. */
void log_softmax_rows(size_t rows, size_t v, const float *x, float *y);

#endif
