/* See decoder_step.h. Matrix products of all rows go to the BLAS; the per-row work (gates, attention
 * over a few source steps, log-softmax, top-k) is plain loops. */
#include "decoder_step.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fast_tanh.h"
#include "gru.h"
#include "lstm.h"
#include "top_k.h"

/* Scratch of one call, carved from one allocation. */
typedef struct { float *x, *z, *hw, *gate, *tc, *joined, *att_out, *logits, *scores, *query; } scratch;

static float *carve(float **at, size_t n) {
  float *p = *at;
  *at += n;
  return p;
}

/* Every layer's step; the top layer's new h is left in a->h_out[layers - 1]. */
static void recurrent_layers(seq2seq_sgemm_fn sgemm, const decoder_step_args *a, scratch *s) {
  const int B = a->rows, H = a->hidden, E = a->emb;
  const int G = (a->cell == DEC_CELL_LSTM ? 4 : 3) * H;
  if (!a->input_table) {
    for (int b = 0; b < B; b++) memcpy(s->x + (size_t)b * E, a->embedding + (size_t)a->ids[b] * E, (size_t)E * sizeof(float));
  }
  const float *in = s->x;
  int in_size = E;
  for (int l = 0; l < a->layers; l++) {
    /* z = in W + input bias (GRU: its first bias row), or layer 0's table rows */
    if (l == 0 && a->input_table) {
      for (int b = 0; b < B; b++) memcpy(s->z + (size_t)b * G, a->input_table + (size_t)a->ids[b] * G, (size_t)G * sizeof(float));
    } else {
      for (int b = 0; b < B; b++) memcpy(s->z + (size_t)b * G, a->bias[l], (size_t)G * sizeof(float));
      sgemm(NO_TRANS, NO_TRANS, B, G, in_size, 1.0f, in, in_size, a->kernel[l], G, 1.0f, s->z, G);
    }
    if (a->cell == DEC_CELL_LSTM) {
      sgemm(NO_TRANS, NO_TRANS, B, G, H, 1.0f, a->h_in[l], H, a->recurrent[l], G, 1.0f, s->z, G);
      for (int b = 0; b < B; b++) {
        size_t r = (size_t)b * H;
        lstm_cell_row(H, s->z + (size_t)b * G, a->h_in[l] + r, a->c_in[l] + r, 1.0f, a->h_out[l] + r, a->c_out[l] + r, s->tc);
      }
    } else {
      for (int b = 0; b < B; b++) memcpy(s->hw + (size_t)b * G, a->bias[l] + G, (size_t)G * sizeof(float));
      sgemm(NO_TRANS, NO_TRANS, B, G, H, 1.0f, a->h_in[l], H, a->recurrent[l], G, 1.0f, s->hw, G);
      for (int b = 0; b < B; b++) {
        size_t r = (size_t)b * H;
        gru_cell_row(H, s->z + (size_t)b * G, s->hw + (size_t)b * G, a->h_in[l] + r, 1.0f, s->gate, s->tc, a->h_out[l] + r);
      }
    }
    in = a->h_out[l];
    in_size = H;
  }
}

/* softmax over n scores in place: exp(x - max) / sum. */
static void softmax(int n, float *x) {
  float mx = -INFINITY;
  for (int i = 0; i < n; i++) mx = x[i] > mx ? x[i] : mx;
  float sum = 0;
  for (int i = 0; i < n; i++) { x[i] = expf(x[i] - mx); sum += x[i]; }
  for (int i = 0; i < n; i++) x[i] /= sum;
}

/* Attention over the memory for query q (the top layer's output): tanh([q; context] W_c) into s->att_out. */
static void attention(seq2seq_sgemm_fn sgemm, const decoder_step_args *a, const float *q, scratch *s) {
  const int B = a->rows, H = a->hidden, S = a->src_len, M = a->mem, A = a->att;
  if (a->attention == DEC_ATT_BAHDANAU) sgemm(NO_TRANS, NO_TRANS, B, A, H, 1.0f, q, H, a->wq, A, 0.0f, s->query, A);
  for (int b = 0; b < B; b++) {
    const float *qb = q + (size_t)b * H;
    const size_t mb = a->memory_rows ? (size_t)a->memory_rows[b] : (size_t)b;
    float *sc = s->scores;
    if (a->attention == DEC_ATT_LUONG) {
      const float *k = a->keys + mb * H * S; /* [H, S] */
      for (int t = 0; t < S; t++) sc[t] = 0;
      for (int j = 0; j < H; j++)
        for (int t = 0; t < S; t++) sc[t] += qb[j] * k[(size_t)j * S + t];
    } else {
      const float *qp = s->query + (size_t)b * A;
      for (int t = 0; t < S; t++) {
        const float *k = a->keys + (mb * S + t) * A;
        float e = 0;
        for (int j = 0; j < A; j++) e += a->v[j] * fast_tanhf(qp[j] + k[j]);
        sc[t] = e;
      }
    }
    for (int t = 0; t < S; t++) sc[t] += a->mask_bias[mb * S + t];
    softmax(S, sc);
    if (a->attention_out) memcpy(a->attention_out + (size_t)b * S, sc, (size_t)S * sizeof(float));
    float *row = s->joined + (size_t)b * (H + M);
    memcpy(row, qb, (size_t)H * sizeof(float));
    float *ctx = row + H;
    for (int m = 0; m < M; m++) ctx[m] = 0;
    for (int t = 0; t < S; t++) {
      const float *val = a->values + (mb * S + t) * M;
      for (int m = 0; m < M; m++) ctx[m] += sc[t] * val[m];
    }
  }
  sgemm(NO_TRANS, NO_TRANS, B, H, H + M, 1.0f, s->joined, H + M, a->wc, H, 0.0f, s->att_out, H);
  for (size_t i = 0; i < (size_t)B * H; i++) s->att_out[i] = fast_tanhf(s->att_out[i]);
}

/* logits [V] -> log-softmax in place: (x - max) - log(sum exp(x - max)). */
static void log_softmax(int V, float *x) {
  float mx = -INFINITY;
  for (int v = 0; v < V; v++) mx = x[v] > mx ? x[v] : mx;
  float sum = 0;
  for (int v = 0; v < V; v++) sum += expf(x[v] - mx);
  const float ls = logf(sum);
  for (int v = 0; v < V; v++) x[v] = (x[v] - mx) - ls;
}

/* Every row of a. */
static int step_all_rows(seq2seq_sgemm_fn sgemm, const decoder_step_args *a) {
  const int B = a->rows, H = a->hidden, E = a->emb, V = a->vocab, S = a->src_len, M = a->mem;
  const size_t G = (size_t)(a->cell == DEC_CELL_LSTM ? 4 : 3) * H;
  const int att = a->attention != DEC_ATT_NONE;
  const size_t total = (size_t)B * E + 2 * (size_t)B * G + 4 * (size_t)H + (att ? (size_t)B * (H + M) + (size_t)B * H + S + (size_t)B * a->att : 0) +
                       (size_t)B * V + 1;
  float *block = malloc(total * sizeof(float));
  if (!block) return -1;
  float *at = block;
  scratch s;
  s.x = carve(&at, (size_t)B * E);
  s.z = carve(&at, (size_t)B * G);
  s.hw = carve(&at, (size_t)B * G);
  s.gate = carve(&at, 3 * (size_t)H);
  s.tc = carve(&at, (size_t)H);
  s.joined = att ? carve(&at, (size_t)B * (H + M)) : NULL;
  s.att_out = att ? carve(&at, (size_t)B * H) : NULL;
  s.scores = att ? carve(&at, (size_t)S) : NULL;
  s.query = att ? carve(&at, (size_t)B * a->att) : NULL;
  s.logits = carve(&at, (size_t)B * V);

  recurrent_layers(sgemm, a, &s);
  const float *hidden = a->h_out[a->layers - 1];
  if (att) {
    attention(sgemm, a, hidden, &s);
    hidden = s.att_out;
  }
  float *logits = a->top_k > 0 ? s.logits : a->log_probs;
  for (int b = 0; b < B; b++) memcpy(logits + (size_t)b * V, a->out_bias, (size_t)V * sizeof(float));
  sgemm(NO_TRANS, NO_TRANS, B, V, H, 1.0f, hidden, H, a->out_kernel, V, 1.0f, logits, V);
  for (int b = 0; b < B; b++) {
    float *row = logits + (size_t)b * V;
    log_softmax(V, row);
    if (a->top_k > 0) top_k(V, a->top_k, row, a->top_ids + (size_t)b * a->top_k, a->top_log_probs + (size_t)b * a->top_k);
  }
  free(block);
  return 0;
}

/* The active rows gathered into a step of their own, its results scattered back. */
static int step_active_rows(seq2seq_sgemm_fn sgemm, const decoder_step_args *a) {
  const int n = a->n_active, H = a->hidden, L = a->layers, lstm = a->cell == DEC_CELL_LSTM;
  const size_t out_width = a->top_k > 0 ? (size_t)a->top_k : (size_t)a->vocab;
  const size_t S = a->attention_out ? (size_t)a->src_len : 0;
  const size_t floats = (size_t)L * (lstm ? 4 : 2) * n * H + (size_t)n * out_width + (size_t)n * S;
  float *block = malloc(floats * sizeof(float) + 2 * (size_t)n * (out_width + 1) * sizeof(int32_t) + 1);
  if (!block) return -1;
  decoder_step_args c = *a;
  c.rows = n;
  c.active = NULL;
  c.n_active = -1;
  c.memory_rows = a->active;
  float *at = block;
  for (int l = 0; l < L; l++) {
    c.h_in[l] = carve(&at, (size_t)n * H);
    c.h_out[l] = carve(&at, (size_t)n * H);
    if (lstm) {
      c.c_in[l] = carve(&at, (size_t)n * H);
      c.c_out[l] = carve(&at, (size_t)n * H);
    }
    for (int i = 0; i < n; i++) {
      size_t from = (size_t)a->active[i] * H;
      memcpy((float *)c.h_in[l] + (size_t)i * H, a->h_in[l] + from, (size_t)H * sizeof(float));
      if (lstm) memcpy((float *)c.c_in[l] + (size_t)i * H, a->c_in[l] + from, (size_t)H * sizeof(float));
    }
  }
  float *scores = carve(&at, (size_t)n * out_width);
  c.attention_out = S ? carve(&at, (size_t)n * S) : NULL;
  int32_t *ids = (int32_t *)at, *top_ids = ids + n;
  for (int i = 0; i < n; i++) ids[i] = a->ids[a->active[i]];
  c.ids = ids;
  if (a->top_k > 0) {
    c.top_log_probs = scores;
    c.top_ids = top_ids;
  } else {
    c.log_probs = scores;
  }
  int rc = n > 0 ? step_all_rows(sgemm, &c) : 0;
  if (rc == 0) {
    const size_t B = (size_t)a->rows, BH = B * H;
    for (int l = 0; l < L; l++) {
      memcpy(a->h_out[l], a->h_in[l], BH * sizeof(float));
      if (lstm) memcpy(a->c_out[l], a->c_in[l], BH * sizeof(float));
    }
    float *out = a->top_k > 0 ? a->top_log_probs : a->log_probs;
    memset(out, 0, B * out_width * sizeof(float));
    if (a->top_k > 0) memset(a->top_ids, 0, B * out_width * sizeof(int32_t));
    if (S) memset(a->attention_out, 0, B * S * sizeof(float));
    for (int i = 0; i < n; i++) {
      const size_t r = (size_t)a->active[i];
      for (int l = 0; l < L; l++) {
        memcpy(a->h_out[l] + r * H, c.h_out[l] + (size_t)i * H, (size_t)H * sizeof(float));
        if (lstm) memcpy(a->c_out[l] + r * H, c.c_out[l] + (size_t)i * H, (size_t)H * sizeof(float));
      }
      memcpy(out + r * out_width, scores + (size_t)i * out_width, out_width * sizeof(float));
      if (a->top_k > 0) memcpy(a->top_ids + r * out_width, top_ids + (size_t)i * out_width, out_width * sizeof(int32_t));
      if (S) memcpy(a->attention_out + r * S, c.attention_out + (size_t)i * S, S * sizeof(float));
    }
  }
  free(block);
  return rc;
}

int decoder_step(seq2seq_sgemm_fn sgemm, const decoder_step_args *a) {
  return a->n_active >= 0 && a->n_active < a->rows ? step_active_rows(sgemm, a) : step_all_rows(sgemm, a);
}
