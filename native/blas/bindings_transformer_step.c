/*
 * N-API binding of transformer_step (transformer_step.h), declared for TypeScript in
 * src/model/acceleration/native/addon.ts (NativeAddon.transformerStep):
 *
 *   transformerStep({ layers, rows, d, heads, ff, vocab, srcLen, past, gelu: 0 | 1, topK, epsilon,
 *                     ids: Int32Array, order: Int32Array (a beam reorder of the caches: row r continues row order[r]) | null, embedding, position,
 *                     weights: [layers * 18 Float32Arrays: layer by layer, in transformer_step.h's order],
 *                     cacheIn: [...] (past > 0), cacheOut: [...], memory: [...] (one per layer),
 *                     normGamma, normBeta, outKernel (null: the embedding transposed), outBias, maskBias,
 *                     active: Int32Array (rows to compute, ascending) | null,
 *                     topIds: Int32Array + topLogProbs (topK > 0) | logProbs (topK 0), attentionOut: Float32Array | null })
 *
 * Every array is checked against the length the kernel touches, and every id against the vocabulary.
 */
#include "bindings_transformer_step.h"
#include "blas.h"
#include "spec_reader.h"
#include "transformer_step.h"

static int read_args(spec_reader *r, void *args) {
  transformer_step_args *a = args;
  double epsilon;
  if (!spec_int(r, "layers", 1, TSTEP_MAX_LAYERS, &a->layers) || !spec_int(r, "rows", 1, 1 << 20, &a->rows) ||
      !spec_int(r, "d", 1, 1 << 16, &a->d) || !spec_int(r, "heads", 1, a->d, &a->heads) || !spec_int(r, "ff", 1, 1 << 20, &a->ff) ||
      !spec_int(r, "vocab", 1, 1 << 24, &a->vocab) || !spec_int(r, "srcLen", 1, 1 << 20, &a->src_len) ||
      !spec_int(r, "past", 0, 1 << 20, &a->past) || !spec_int(r, "gelu", 0, 1, &a->gelu) || !spec_int(r, "topK", 0, a->vocab, &a->top_k) ||
      !spec_number(r, "epsilon", &epsilon)) {
    return 0;
  }
  if (a->d % a->heads != 0) return spec_fail(r, "must divide d", "heads");
  a->epsilon = (float)epsilon;
  const uint64_t R = (uint64_t)a->rows, d = (uint64_t)a->d, ff = (uint64_t)a->ff, V = (uint64_t)a->vocab, S = (uint64_t)a->src_len;
  const uint64_t t = (uint64_t)a->past + 1;
  if (R * (t + S) * 2 * d >= INT32_MAX || R * (V + ff) >= INT32_MAX || d * (V + ff + 3 * d) >= INT32_MAX) return spec_fail(r, "are too large", "the sizes");
  if (!spec_typed(r, "ids", napi_int32_array, R, (void **)&a->ids) || !spec_ids(r, "ids", R, V, a->ids) ||
      !spec_optional(r, "order", napi_int32_array, R, (void **)&a->order) || (a->order && !spec_ids(r, "order", R, R, a->order)) ||
      !spec_f32(r, "embedding", V * d, &a->embedding) || !spec_f32(r, "position", d, &a->position)) {
    return 0;
  }
  for (int l = 0; l < a->layers; l++) {
    transformer_step_layer *lw = &a->layer[l];
    for (int w = 0; w < TS_WEIGHTS; w++) {
      if (!spec_element(r, "weights", l * TS_WEIGHTS + w, transformer_step_weight_size(w, d, ff), (float **)&lw->w[w])) return 0;
    }
    lw->cache_in = NULL;
    if ((a->past > 0 && !spec_element(r, "cacheIn", l, R * (t - 1) * 2 * d, (float **)&lw->cache_in)) ||
        !spec_element(r, "cacheOut", l, R * t * 2 * d, &lw->cache_out) || !spec_element(r, "memory", l, R * S * 2 * d, (float **)&lw->memory)) {
      return 0;
    }
  }
  if (!spec_f32(r, "normGamma", d, &a->norm_gamma) || !spec_f32(r, "normBeta", d, &a->norm_beta) ||
      !spec_optional(r, "outKernel", napi_float32_array, d * V, (void **)&a->out_kernel) || !spec_f32(r, "outBias", V, &a->out_bias) ||
      !spec_f32(r, "maskBias", R * S, &a->mask_bias) || !spec_rows(r, "active", R, &a->active, &a->n_active) ||
      !spec_optional(r, "attentionOut", napi_float32_array, R * (uint64_t)a->layers * (uint64_t)a->heads * S, (void **)&a->attention_out)) {
    return 0;
  }
  return spec_step_outputs(r, R, V, a->top_k, &a->top_ids, &a->top_log_probs, &a->log_probs);
}

static int run(const void *a) { return transformer_step(blas_sgemm_sized, a); }

static napi_value transformer_step_js(napi_env env, napi_callback_info cb) {
  transformer_step_args a = { 0 };
  return spec_call(env, cb, "transformerStep", &a, read_args, run);
}

void define_transformer_step_bindings(napi_env env, napi_value exports) { spec_export(env, exports, "transformerStep", transformer_step_js); }
