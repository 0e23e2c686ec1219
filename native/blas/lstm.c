/* See lstm.h. The element-wise loops are written for the compiler to vectorise; on x86-64 Linux with
 * GCC they are also compiled for Haswell-class CPUs (AVX2 + FMA) and picked at load time. */
#include "lstm.h"
#include "fast_tanh.h"
#include <stdlib.h>
#include <string.h>
#include "vectorize.h"

/* One row of gate pre-activations z [4H] -> i, f, o sigmoid, g tanh; then the new state of that row. */
VECTOR_CLONES
void lstm_cell_row(int H, float *restrict z, const float *restrict h_in, const float *restrict c_in, float m,
                        float *restrict h_out, float *restrict c_out, float *restrict tc) {
  for (int j = 0; j < 2 * H; j++) z[j] = fast_sigmoidf(z[j]);
  for (int j = 2 * H; j < 3 * H; j++) z[j] = fast_tanhf(z[j]);
  for (int j = 3 * H; j < 4 * H; j++) z[j] = fast_sigmoidf(z[j]);
  const float *i = z, *f = z + H, *g = z + 2 * H, *o = z + 3 * H;
  for (int j = 0; j < H; j++) {
    float c_new = f[j] * c_in[j] + i[j] * g[j];
    float t = fast_tanhf(c_new);
    tc[j] = t;
    float h_new = o[j] * t;
    c_out[j] = c_in[j] + m * (c_new - c_in[j]);
    h_out[j] = h_in[j] + m * (h_new - h_in[j]);
  }
}

void lstm_forward(seq2seq_sgemm_fn sgemm, int T, int B, int H, int reverse, const float *xw, const float *wh,
                  const float *h0, const float *c0, const float *mask, float *packed, float *h_prev, float *c_prev,
                  float *gates, float *tc) {
  const size_t BH = (size_t)B * H, G = 4 * (size_t)H;
  float *c_final = packed + (size_t)(T + 1) * BH;
  float *h_final = packed + (size_t)T * BH;
  memcpy(c_final, c0, BH * sizeof(float)); /* the running cell state lives in its final slot */
  const float *h = h0;
  for (int k = 0; k < T; k++) {
    int t = reverse ? T - 1 - k : k;
    size_t at = (size_t)t * BH;
    memcpy(h_prev + at, h, BH * sizeof(float));
    memcpy(c_prev + at, c_final, BH * sizeof(float));
    float *z = gates + (size_t)t * B * G;
    memcpy(z, xw + (size_t)t * B * G, (size_t)B * G * sizeof(float));
    sgemm(NO_TRANS, NO_TRANS, B, (int)G, H, 1.0f, h, H, wh, (int)G, 1.0f, z, (int)G);
    for (int b = 0; b < B; b++) {
      size_t r = (size_t)b * H;
      lstm_cell_row(H, z + (size_t)b * G, h_prev + at + r, c_prev + at + r, mask[(size_t)t * B + b],
                  packed + at + r, c_final + r, tc + at + r);
    }
    h = packed + at;
  }
  memcpy(h_final, h, BH * sizeof(float));
}

/*
 * One row of one step backwards. In: d = dh + dy_t (gradient reaching h_t), dc (reaching c_t).
 * Out: dz [4H], dc for c_{t-1}, and dh_keep (the part of dh_{t-1} that skips the cell where masked).
 */
VECTOR_CLONES
static void backward_row(int H, float m, const float *restrict d, float *restrict dc, const float *restrict gate,
                         const float *restrict c_in, const float *restrict tc, float *restrict dz, float *restrict dh_keep) {
  const float *i = gate, *f = gate + H, *g = gate + 2 * H, *o = gate + 3 * H;
  for (int j = 0; j < H; j++) {
    float dh_new = m * d[j];
    float dc_in = m * dc[j];
    float t = tc[j];
    float dc_new = dc_in + dh_new * (o[j] * (1.0f - t * t));
    dz[j] = dc_new * (g[j] * ((1.0f - i[j]) * i[j]));
    dz[H + j] = dc_new * (c_in[j] * ((1.0f - f[j]) * f[j]));
    dz[2 * H + j] = dc_new * (i[j] * ((1.0f - g[j]) * (1.0f + g[j])));
    dz[3 * H + j] = dh_new * (t * ((1.0f - o[j]) * o[j]));
    dh_keep[j] = d[j] - dh_new;
    dc[j] = dc_new * f[j] + (dc[j] - dc_in);
  }
}

int lstm_backward(seq2seq_sgemm_fn sgemm, int T, int B, int H, int reverse, const float *dy, const float *wh,
                  const float *h_prev, const float *c_prev, const float *gates, const float *tc, const float *mask,
                  float *dxw, float *dwh, float *dh0, float *dc0) {
  const size_t BH = (size_t)B * H, G = 4 * (size_t)H;
  float *d = malloc((BH ? BH : 1) * sizeof(float));
  if (!d) return -1;
  /* dh0 holds the running dh (gradient reaching the state after the step being undone), dc0 the running dc. */
  memcpy(dh0, dy + (size_t)T * BH, BH * sizeof(float));
  memcpy(dc0, dy + (size_t)(T + 1) * BH, BH * sizeof(float));
  for (int k = T - 1; k >= 0; k--) {
    int t = reverse ? T - 1 - k : k;
    size_t at = (size_t)t * BH;
    const float *dy_t = dy + at;
    for (size_t e = 0; e < BH; e++) d[e] = dh0[e] + dy_t[e];
    float *dz = dxw + (size_t)t * B * G;
    for (int b = 0; b < B; b++) {
      size_t r = (size_t)b * H;
      backward_row(H, mask[(size_t)t * B + b], d + r, dc0 + r, gates + (size_t)t * B * G + (size_t)b * G,
                   c_prev + at + r, tc + at + r, dz + (size_t)b * G, dh0 + r);
    }
    /* dh_{t-1} = dz Wh^T + dh_keep */
    sgemm(NO_TRANS, TRANS, B, H, (int)G, 1.0f, dz, (int)G, wh, (int)G, 1.0f, dh0, H);
  }
  /* dWh = sum_t h_prev_t^T dz_t, as one multiply over all steps: [H, T*B] x [T*B, 4H]. */
  if ((size_t)T * B == 0) memset(dwh, 0, (size_t)H * G * sizeof(float));
  else sgemm(TRANS, NO_TRANS, H, (int)G, T * B, 1.0f, h_prev, H, dxw, (int)G, 0.0f, dwh, (int)G);
  free(d);
  return 0;
}
