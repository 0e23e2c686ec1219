/*
 * One decoding step of the whole decoder in one call: the embedding rows of the previous tokens,
 * every recurrent layer's step (LSTM or GRU, Keras layout), attention over the encoder outputs (Luong
 * "general" or Bahdanau, scoring the top layer's output), the output projection and log-softmax, and
 * either every log-probability or each row's k best tokens. The math of decodeStep on TF.js ops
 * (src/model/acceleration/reference/decoderStep.ts); float32 arrays, row-major.
 */
#ifndef SEQ2SEQ_DECODER_STEP_H
#define SEQ2SEQ_DECODER_STEP_H
#include <stdint.h>
#include "blas.h"

enum { DEC_CELL_LSTM = 0, DEC_CELL_GRU = 1 };
enum { DEC_ATT_NONE = 0, DEC_ATT_LUONG = 1, DEC_ATT_BAHDANAU = 2 };
#define DEC_MAX_LAYERS 8

typedef struct {
  int cell, layers, attention;
  /* rows B, decoder hidden H, embedding E, target vocabulary V; source steps S, memory width M, Bahdanau width A */
  int rows, hidden, emb, vocab, src_len, mem, att;
  /* k best tokens per row (1 <= k <= V), or 0 for every log-probability */
  int top_k;
  const int32_t *ids;       /* [B] previous tokens, each in [0, V) */
  const float *embedding;   /* [V, E] */
  /* layer 0's projected inputs of every token [V, G*H] (input bias included), or NULL: embedding and kernel[0] are used */
  const float *input_table;
  /* per layer l: kernel [in_l, G*H] (in_0 = E, else H), recurrent [H, G*H], bias (LSTM [4H]; GRU [2, 3H]: input, recurrent) */
  const float *kernel[DEC_MAX_LAYERS], *recurrent[DEC_MAX_LAYERS], *bias[DEC_MAX_LAYERS];
  const float *h_in[DEC_MAX_LAYERS], *c_in[DEC_MAX_LAYERS]; /* [B, H]; c only for LSTM */
  float *h_out[DEC_MAX_LAYERS], *c_out[DEC_MAX_LAYERS];
  /* attention: values [B, S, M]; keys Luong [B, H, S] (values W_a, transposed), Bahdanau [B, S, A]; mask_bias [B, S] */
  const float *values, *keys, *mask_bias;
  const float *wq, *v;      /* Bahdanau: [H, A], [A] */
  const float *wc;          /* [H + M, H] */
  const float *out_kernel, *out_bias; /* [H, V], [V] */
  /* the rows to compute, ascending, n_active of them; n_active -1: all. The others keep their state (h_out = h_in,
   * c_out = c_in) and get log-probabilities 0 (ids 0): finished rows cost nothing */
  const int32_t *active;
  int n_active;
  /* internal: the memory row of each row (NULL: the same row) */
  const int32_t *memory_rows;
  /* outputs: top_k > 0: top_ids, top_log_probs [B, k], best first (ties: the lower id); else log_probs [B, V] */
  int32_t *top_ids;
  float *top_log_probs, *log_probs;
  /* optional output (NULL: not asked; attention only): each row's attention weights over the source [B, S]; rows not active get 0 */
  float *attention_out;
} decoder_step_args;

/* Returns 0, or -1 when scratch memory could not be allocated. */
int decoder_step(seq2seq_sgemm_fn sgemm, const decoder_step_args *a);

#endif
