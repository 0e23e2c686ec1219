/* See attention.h. */
#include "attention.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fast_exp.h"
#include "vectorize.h"

VECTOR_CLONES
void attention_softmax_row(int tk, float *row, const float *mask, float scale) {
  float max = -INFINITY;
  for (int j = 0; j < tk; j++) {
    const float x = row[j] * scale + (mask ? mask[j] : 0.0f);
    row[j] = x;
    max = x > max ? x : max;
  }
  float sum = 0;
  for (int j = 0; j < tk; j++) { const float e = fast_expf(row[j] - max); row[j] = e; sum += e; }
  const float inv = 1.0f / sum;
  for (int j = 0; j < tk; j++) row[j] *= inv;
}

int attention_forward(seq2seq_sgemm_fn sgemm, const attention_shape *s, const float *q, const float *k, const float *v,
                      const float *mask, const float *drop, float *p, float *out) {
  const int D = s->h * s->dk, tq = s->tq, tk = s->tk, dk = s->dk;
  float *dropped = NULL;
  if (drop && !(dropped = malloc(sizeof(float) * (size_t)tq * tk))) return -1;
  for (int b = 0; b < s->b; b++) {
    for (int h = 0; h < s->h; h++) {
      float *pb = p + ((size_t)(b * s->h + h) * tq) * tk;
      const float *qb = q + (size_t)b * tq * s->ldq + s->q_off + h * dk;
      const float *kb = k + (size_t)b * tk * s->ldk + s->k_off + h * dk;
      const float *vb = v + (size_t)b * tk * s->ldv + s->v_off + h * dk;
      sgemm(NO_TRANS, TRANS, tq, tk, dk, 1.0f, qb, s->ldq, kb, s->ldk, 0.0f, pb, tk);
      for (int t = 0; t < tq; t++) {
        const float *m = mask ? mask + ((size_t)b * s->mq + (s->mq == 1 ? 0 : t)) * tk : NULL;
        attention_softmax_row(tk, pb + (size_t)t * tk, m, s->scale);
      }
      const float *weights = pb;
      if (drop) {
        const float *db = drop + ((size_t)(b * s->h + h) * tq) * tk;
        for (size_t i = 0; i < (size_t)tq * tk; i++) dropped[i] = pb[i] * db[i];
        weights = dropped;
      }
      sgemm(NO_TRANS, NO_TRANS, tq, dk, tk, 1.0f, weights, tk, vb, s->ldv, 0.0f, out + (size_t)b * tq * D + h * dk, D);
    }
  }
  free(dropped);
  return 0;
}

VECTOR_CLONES
int attention_backward(seq2seq_sgemm_fn sgemm, const attention_shape *s, const float *dout, const float *q, const float *k,
                       const float *v, const float *p, const float *drop, float *dq, float *dk, float *dv) {
  const int D = s->h * s->dk, tq = s->tq, tk = s->tk, dkh = s->dk;
  const size_t block = (size_t)tq * tk;
  float *ds = malloc(sizeof(float) * block * (drop ? 2 : 1));
  if (!ds) return -1;
  float *dropped = drop ? ds + block : NULL;
  for (int b = 0; b < s->b; b++) {
    for (int h = 0; h < s->h; h++) {
      const float *pb = p + ((size_t)(b * s->h + h) * tq) * tk;
      const float *db = drop ? drop + ((size_t)(b * s->h + h) * tq) * tk : NULL;
      const size_t qo = (size_t)b * tq * s->ldq + s->q_off + h * dkh;
      const size_t ko = (size_t)b * tk * s->ldk + s->k_off + h * dkh;
      const size_t vo = (size_t)b * tk * s->ldv + s->v_off + h * dkh;
      const float *dob = dout + (size_t)b * tq * D + h * dkh;
      /* dV = (P * drop)^T dO */
      const float *weights = pb;
      if (db) { for (size_t i = 0; i < block; i++) dropped[i] = pb[i] * db[i]; weights = dropped; }
      sgemm(TRANS, NO_TRANS, tk, dkh, tq, 1.0f, weights, tk, dob, D, 0.0f, dv + vo, s->ldv);
      /* dP = (dO V^T) * drop; dS = scale * P * (dP - rowsum(dP * P)) */
      sgemm(NO_TRANS, TRANS, tq, tk, dkh, 1.0f, dob, D, v + vo, s->ldv, 0.0f, ds, tk);
      for (int t = 0; t < tq; t++) {
        float *row = ds + (size_t)t * tk;
        const float *pr = pb + (size_t)t * tk;
        if (db) { const float *dr = db + (size_t)t * tk; for (int j = 0; j < tk; j++) row[j] *= dr[j]; }
        float dot = 0;
        for (int j = 0; j < tk; j++) dot += row[j] * pr[j];
        for (int j = 0; j < tk; j++) row[j] = s->scale * pr[j] * (row[j] - dot);
      }
      /* dQ = dS K;  dK = dS^T Q */
      sgemm(NO_TRANS, NO_TRANS, tq, dkh, tk, 1.0f, ds, tk, k + ko, s->ldk, 0.0f, dq + qo, s->ldq);
      sgemm(TRANS, NO_TRANS, tk, dkh, tq, 1.0f, ds, tk, q + qo, s->ldq, 0.0f, dk + ko, s->ldk);
    }
  }
  free(ds);
  return 0;
}
