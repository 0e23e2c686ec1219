/* Adam's update of one weight array, and the sum of squares of an array (for clipping by global norm). */
#ifndef SEQ2SEQ_ADAM_H
#define SEQ2SEQ_ADAM_H
#include <stddef.h>

/*
 * With g' = scale * g:  m' = beta1 m + (1 - beta1) g';  v' = beta2 v + (1 - beta2) g'^2;
 * p' = p - lr_t m' / (sqrt(v') + epsilon). Reads p, g, m, v; writes p_out, m_out, v_out (n values each).
 */
void adam_update(size_t n, const float *p, const float *g, const float *m, const float *v, float lr_t, float beta1,
                 float beta2, float epsilon, float scale, float *p_out, float *m_out, float *v_out);

/* sum of x[i]^2, accumulated in double. */
double sum_of_squares(size_t n, const float *x);

#endif
