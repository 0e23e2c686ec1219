/*
 * N-API binding of decoder_step (decoder_step.h), declared for TypeScript in
 * src/model/acceleration/native/addon.ts (NativeAddon.decoderStep):
 *
 *   decoderStep({ cell: 0 lstm | 1 gru, layers, attention: 0 none | 1 luong | 2 bahdanau, rows, hidden, emb, vocab,
 *                 srcLen, mem, att, topK,
 *                 ids: Int32Array, embedding, inputTable (or null: embedding and kernels[0] project), kernels: [...], recurrents: [...], biases: [...], hIn: [...], cIn: [...],
 *                 hOut: [...], cOut: [...] (cIn / cOut: LSTM only), values, keys, maskBias, wq, v, wc (attention only),
 *                 outKernel, outBias, active: Int32Array (rows to compute, ascending) | null, topIds: Int32Array + topLogProbs (topK > 0) | logProbs (topK 0),
 *                 attentionOut: Float32Array [rows, srcLen] | null (attention only: each row's attention weights) })
 *
 * Every array is checked against the length the kernel touches, and every id against the vocabulary.
 */
#include "bindings_decoder.h"
#include "blas.h"
#include "decoder_step.h"
#include "spec_reader.h"

static int read_args(spec_reader *r, void *args) {
  decoder_step_args *a = args;
  if (!spec_int(r, "cell", 0, 1, &a->cell) || !spec_int(r, "layers", 1, DEC_MAX_LAYERS, &a->layers) ||
      !spec_int(r, "attention", 0, 2, &a->attention) || !spec_int(r, "rows", 1, 1 << 20, &a->rows) ||
      !spec_int(r, "hidden", 1, 1 << 16, &a->hidden) || !spec_int(r, "emb", 1, 1 << 16, &a->emb) ||
      !spec_int(r, "vocab", 1, 1 << 24, &a->vocab) || !spec_int(r, "topK", 0, a->vocab, &a->top_k)) {
    return 0;
  }
  const uint64_t B = (uint64_t)a->rows, H = (uint64_t)a->hidden, E = (uint64_t)a->emb, V = (uint64_t)a->vocab;
  const uint64_t G = (a->cell == DEC_CELL_LSTM ? 4 : 3) * H;
  if (B * (G + V) >= INT32_MAX || H * G >= INT32_MAX || V * (E + H + G) >= INT32_MAX) return spec_fail(r, "are too large", "the sizes");
  if (!spec_typed(r, "ids", napi_int32_array, B, (void **)&a->ids)) return 0;
  if (!spec_optional(r, "inputTable", napi_float32_array, V * G, (void **)&a->input_table)) return 0;
  if (!a->input_table && !spec_f32(r, "embedding", V * E, &a->embedding)) return 0;
  if (!spec_ids(r, "ids", B, V, a->ids)) return 0;
  for (int l = 0; l < a->layers; l++) {
    const uint64_t in = l == 0 ? E : H;
    if ((l > 0 || !a->input_table) && !spec_element(r, "kernels", l, in * G, (float **)&a->kernel[l])) return 0;
    if (!spec_element(r, "recurrents", l, H * G, (float **)&a->recurrent[l]) ||
        !spec_element(r, "biases", l, a->cell == DEC_CELL_LSTM ? G : 2 * G, (float **)&a->bias[l]) ||
        !spec_element(r, "hIn", l, B * H, (float **)&a->h_in[l]) || !spec_element(r, "hOut", l, B * H, &a->h_out[l])) {
      return 0;
    }
    if (a->cell == DEC_CELL_LSTM && (!spec_element(r, "cIn", l, B * H, (float **)&a->c_in[l]) || !spec_element(r, "cOut", l, B * H, &a->c_out[l]))) return 0;
  }
  a->src_len = a->mem = a->att = 0;
  if (a->attention != DEC_ATT_NONE) {
    if (!spec_int(r, "srcLen", 1, 1 << 20, &a->src_len) || !spec_int(r, "mem", 1, 1 << 16, &a->mem)) return 0;
    const uint64_t S = (uint64_t)a->src_len, M = (uint64_t)a->mem;
    if (B * S * (M + H) >= INT32_MAX) return spec_fail(r, "are too large", "the attention sizes");
    if (a->attention == DEC_ATT_BAHDANAU) {
      if (!spec_int(r, "att", 1, 1 << 16, &a->att)) return 0;
      const uint64_t A = (uint64_t)a->att;
      if (!spec_f32(r, "keys", B * S * A, &a->keys) || !spec_f32(r, "wq", H * A, &a->wq) || !spec_f32(r, "v", A, &a->v)) return 0;
    } else if (!spec_f32(r, "keys", B * H * S, &a->keys)) {
      return 0;
    }
    if (!spec_f32(r, "values", B * S * M, &a->values) || !spec_f32(r, "maskBias", B * S, &a->mask_bias) ||
        !spec_f32(r, "wc", (H + M) * H, &a->wc)) {
      return 0;
    }
    if (!spec_optional(r, "attentionOut", napi_float32_array, B * S, (void **)&a->attention_out)) return 0;
  }
  if (!spec_f32(r, "outKernel", H * V, &a->out_kernel) || !spec_f32(r, "outBias", V, &a->out_bias)) return 0;
  if (!spec_rows(r, "active", B, &a->active, &a->n_active)) return 0;
  return spec_step_outputs(r, B, V, a->top_k, &a->top_ids, &a->top_log_probs, &a->log_probs);
}

static int run(const void *a) { return decoder_step(blas_sgemm_sized, a); }

static napi_value decoder_step_js(napi_env env, napi_callback_info cb) {
  decoder_step_args a = { 0 };
  return spec_call(env, cb, "decoderStep", &a, read_args, run);
}

void define_decoder_bindings(napi_env env, napi_value exports) { spec_export(env, exports, "decoderStep", decoder_step_js); }
