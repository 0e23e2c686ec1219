/* The k best of a row of scores, shared by the decoder steps (decoder_step.c, transformer_step.c). */
#ifndef SEQ2SEQ_TOP_K_H
#define SEQ2SEQ_TOP_K_H
#include <stdint.h>

/* The k largest of x [V], best first; on ties the lower index first. */
static inline void top_k(int V, int k, const float *x, int32_t *ids, float *vals) {
  int n = 0;
  for (int v = 0; v < V; v++) {
    float xv = x[v];
    if (n == k && !(xv > vals[k - 1])) continue;
    int p = n < k ? n : k - 1; /* the slot freed at the end */
    while (p > 0 && xv > vals[p - 1]) { vals[p] = vals[p - 1]; ids[p] = ids[p - 1]; p--; }
    vals[p] = xv;
    ids[p] = v;
    if (n < k) n++;
  }
}

#endif
