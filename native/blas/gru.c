/* See gru.h. Forward per step t (m = mask):
 *   hw = h_{t-1} U + b_rec;  z = sigmoid(xz + hz);  r = sigmoid(xr + hr);  n = tanh(xn + r hn)
 *   h~ = n + z (h_{t-1} - n);  h_t = h_{t-1} + m (h~ - h_{t-1}) */
#include "gru.h"
#include "fast_tanh.h"
#include <stdlib.h>
#include <string.h>
#include "vectorize.h"

/* One row: x = xw row [3H], hw = recurrent row [3H] (bias included); writes the gates, hn and the new state. */
VECTOR_CLONES
void gru_cell_row(int H, const float *restrict x, const float *restrict hw, const float *restrict h_in, float m,
                        float *restrict gate, float *restrict hn, float *restrict h_out) {
  float *z = gate, *r = gate + H, *n = gate + 2 * H;
  for (int j = 0; j < 2 * H; j++) gate[j] = fast_sigmoidf(x[j] + hw[j]);
  for (int j = 0; j < H; j++) {
    hn[j] = hw[2 * H + j];
    n[j] = fast_tanhf(x[2 * H + j] + r[j] * hn[j]);
    float h_new = n[j] + z[j] * (h_in[j] - n[j]);
    h_out[j] = h_in[j] + m * (h_new - h_in[j]);
  }
}

int gru_forward(seq2seq_sgemm_fn sgemm, int T, int B, int H, int reverse, const float *xw, const float *u,
                 const float *b_rec, const float *h0, const float *mask, float *packed, float *h_prev, float *gates,
                 float *hn) {
  const size_t BH = (size_t)B * H, G = 3 * (size_t)H;
  float *hw = malloc((size_t)B * G * sizeof(float) + 1);
  if (!hw) return -1;
  const float *h = h0;
  for (int k = 0; k < T; k++) {
    int t = reverse ? T - 1 - k : k;
    size_t at = (size_t)t * BH;
    memcpy(h_prev + at, h, BH * sizeof(float));
    for (int b = 0; b < B; b++) memcpy(hw + (size_t)b * G, b_rec, G * sizeof(float));
    sgemm(NO_TRANS, NO_TRANS, B, (int)G, H, 1.0f, h, H, u, (int)G, 1.0f, hw, (int)G);
    for (int b = 0; b < B; b++) {
      size_t r = (size_t)b * H, rg = (size_t)t * B * G + (size_t)b * G;
      gru_cell_row(H, xw + rg, hw + (size_t)b * G, h_prev + at + r, mask[(size_t)t * B + b], gates + rg, hn + at + r, packed + at + r);
    }
    h = packed + at;
  }
  memcpy(packed + (size_t)T * BH, h, BH * sizeof(float));
  free(hw);
  return 0;
}

/*
 * One row of one step backwards. d = gradient reaching h_t. Writes dx (gradient of the projected
 * input row [3H]), dhw (of the recurrent row [3H]) and dh_direct (the part of dh_{t-1} that does not
 * go through U: z dh~ plus what skips the cell where masked).
 */
VECTOR_CLONES
static void backward_row(int H, float m, const float *restrict d, const float *restrict gate, const float *restrict hn,
                         const float *restrict h_in, float *restrict dx, float *restrict dhw, float *restrict dh_direct) {
  const float *z = gate, *r = gate + H, *n = gate + 2 * H;
  for (int j = 0; j < H; j++) {
    float dh_new = m * d[j];
    float dz = dh_new * (h_in[j] - n[j]);
    float dn = dh_new * (1.0f - z[j]);
    float dan = dn * ((1.0f - n[j]) * (1.0f + n[j]));
    float daz = dz * ((1.0f - z[j]) * z[j]);
    float dar = dan * hn[j] * ((1.0f - r[j]) * r[j]);
    dx[j] = daz;
    dx[H + j] = dar;
    dx[2 * H + j] = dan;
    dhw[j] = daz;
    dhw[H + j] = dar;
    dhw[2 * H + j] = dan * r[j];
    dh_direct[j] = (d[j] - dh_new) + dh_new * z[j];
  }
}

int gru_backward(seq2seq_sgemm_fn sgemm, int T, int B, int H, int reverse, const float *dy, const float *u,
                 const float *h_prev, const float *gates, const float *hn, const float *mask, float *dxw, float *du,
                 float *db_rec, float *dh0) {
  const size_t BH = (size_t)B * H, G = 3 * (size_t)H;
  float *d = malloc(BH * sizeof(float) + 1);
  float *dhw = malloc((size_t)T * B * G * sizeof(float) + 1);
  if (!d || !dhw) { free(d); free(dhw); return -1; }
  memcpy(dh0, dy + (size_t)T * BH, BH * sizeof(float)); /* the running dh */
  for (int k = T - 1; k >= 0; k--) {
    int t = reverse ? T - 1 - k : k;
    size_t at = (size_t)t * BH, atg = (size_t)t * B * G;
    for (size_t e = 0; e < BH; e++) d[e] = dh0[e] + dy[at + e];
    for (int b = 0; b < B; b++) {
      size_t r = (size_t)b * H, rg = atg + (size_t)b * G;
      backward_row(H, mask[(size_t)t * B + b], d + r, gates + rg, hn + at + r, h_prev + at + r, dxw + rg, dhw + rg, dh0 + r);
    }
    /* dh_{t-1} = dhw U^T + dh_direct */
    sgemm(NO_TRANS, TRANS, B, H, (int)G, 1.0f, dhw + atg, (int)G, u, (int)G, 1.0f, dh0, H);
  }
  /* dU = sum_t h_prev_t^T dhw_t; db_rec = column sums of dhw. */
  if ((size_t)T * B == 0) {
    memset(du, 0, (size_t)H * G * sizeof(float));
    memset(db_rec, 0, G * sizeof(float));
  } else {
    sgemm(TRANS, NO_TRANS, H, (int)G, T * B, 1.0f, h_prev, H, dhw, (int)G, 0.0f, du, (int)G);
    memset(db_rec, 0, G * sizeof(float));
    for (size_t row = 0; row < (size_t)T * B; row++) {
      const float *x = dhw + row * G;
      for (size_t j = 0; j < G; j++) db_rec[j] += x[j];
    }
  }
  free(d);
  free(dhw);
  return 0;
}
