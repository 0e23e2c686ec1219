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
#include <stdio.h>
#include "blas.h"
#include "decoder_step.h"

typedef struct { napi_env env; napi_value spec; char message[200]; } reader;

static int fail(reader *r, const char *what, const char *name) {
  snprintf(r->message, sizeof(r->message), "decoderStep: %s %s", name, what);
  return 0;
}

static int read_int(reader *r, const char *name, int lo, int hi, int *out) {
  napi_value v;
  int64_t x;
  if (napi_get_named_property(r->env, r->spec, name, &v) != napi_ok || !get_int(r->env, v, &x) || x < lo || x > hi) {
    char what[80];
    snprintf(what, sizeof(what), "must be an integer from %d to %d", lo, hi);
    return fail(r, what, name);
  }
  *out = (int)x;
  return 1;
}

/* A typed array of at least `need` elements, from a value. */
static int typed_value(reader *r, napi_value v, const char *name, napi_typedarray_type type, uint64_t need, void **out) {
  size_t len = 0;
  if (!get_typed(r->env, v, type, out, &len) || (uint64_t)len < need) {
    char what[100];
    snprintf(what, sizeof(what), "must be a %s of at least %llu values", type == napi_int32_array ? "Int32Array" : "Float32Array",
             (unsigned long long)need);
    return fail(r, what, name);
  }
  return 1;
}

static int read_typed(reader *r, const char *name, napi_typedarray_type type, uint64_t need, void **out) {
  napi_value v;
  if (napi_get_named_property(r->env, r->spec, name, &v) != napi_ok) return fail(r, "is missing", name);
  return typed_value(r, v, name, type, need, out);
}

static int read_f32(reader *r, const char *name, uint64_t need, const float **out) {
  return read_typed(r, name, napi_float32_array, need, (void **)out);
}

/* Element l of the array property `name` (one per layer). */
static int read_layer(reader *r, const char *name, int l, uint64_t need, float **out) {
  napi_value list, v;
  bool is_array = false;
  if (napi_get_named_property(r->env, r->spec, name, &list) != napi_ok || napi_is_array(r->env, list, &is_array) != napi_ok || !is_array ||
      napi_get_element(r->env, list, (uint32_t)l, &v) != napi_ok) {
    return fail(r, "must be an array with one Float32Array per layer", name);
  }
  return typed_value(r, v, name, napi_float32_array, need, (void **)out);
}

static int read_args(reader *r, decoder_step_args *a) {
  if (!read_int(r, "cell", 0, 1, &a->cell) || !read_int(r, "layers", 1, DEC_MAX_LAYERS, &a->layers) ||
      !read_int(r, "attention", 0, 2, &a->attention) || !read_int(r, "rows", 1, 1 << 20, &a->rows) ||
      !read_int(r, "hidden", 1, 1 << 16, &a->hidden) || !read_int(r, "emb", 1, 1 << 16, &a->emb) ||
      !read_int(r, "vocab", 1, 1 << 24, &a->vocab) || !read_int(r, "topK", 0, a->vocab, &a->top_k)) {
    return 0;
  }
  const uint64_t B = (uint64_t)a->rows, H = (uint64_t)a->hidden, E = (uint64_t)a->emb, V = (uint64_t)a->vocab;
  const uint64_t G = (a->cell == DEC_CELL_LSTM ? 4 : 3) * H;
  if (B * (G + V) >= INT32_MAX || H * G >= INT32_MAX || V * (E + H + G) >= INT32_MAX) return fail(r, "are too large", "the sizes");
  if (!read_typed(r, "ids", napi_int32_array, B, (void **)&a->ids)) return 0;
  napi_value table;
  napi_valuetype table_type = napi_null;
  if (napi_get_named_property(r->env, r->spec, "inputTable", &table) == napi_ok) napi_typeof(r->env, table, &table_type);
  if (table_type != napi_null && table_type != napi_undefined) {
    if (!typed_value(r, table, "inputTable", napi_float32_array, V * G, (void **)&a->input_table)) return 0;
  } else if (!read_f32(r, "embedding", V * E, &a->embedding)) {
    return 0;
  }
  for (uint64_t b = 0; b < B; b++) {
    if (a->ids[b] < 0 || (uint64_t)a->ids[b] >= V) return fail(r, "must be in [0, vocab)", "ids");
  }
  for (int l = 0; l < a->layers; l++) {
    const uint64_t in = l == 0 ? E : H;
    if ((l > 0 || !a->input_table) && !read_layer(r, "kernels", l, in * G, (float **)&a->kernel[l])) return 0;
    if (!read_layer(r, "recurrents", l, H * G, (float **)&a->recurrent[l]) ||
        !read_layer(r, "biases", l, a->cell == DEC_CELL_LSTM ? G : 2 * G, (float **)&a->bias[l]) ||
        !read_layer(r, "hIn", l, B * H, (float **)&a->h_in[l]) || !read_layer(r, "hOut", l, B * H, &a->h_out[l])) {
      return 0;
    }
    if (a->cell == DEC_CELL_LSTM && (!read_layer(r, "cIn", l, B * H, (float **)&a->c_in[l]) || !read_layer(r, "cOut", l, B * H, &a->c_out[l]))) return 0;
  }
  a->src_len = a->mem = a->att = 0;
  if (a->attention != DEC_ATT_NONE) {
    if (!read_int(r, "srcLen", 1, 1 << 20, &a->src_len) || !read_int(r, "mem", 1, 1 << 16, &a->mem)) return 0;
    const uint64_t S = (uint64_t)a->src_len, M = (uint64_t)a->mem;
    if (B * S * (M + H) >= INT32_MAX) return fail(r, "are too large", "the attention sizes");
    if (a->attention == DEC_ATT_BAHDANAU) {
      if (!read_int(r, "att", 1, 1 << 16, &a->att)) return 0;
      const uint64_t A = (uint64_t)a->att;
      if (!read_f32(r, "keys", B * S * A, &a->keys) || !read_f32(r, "wq", H * A, &a->wq) || !read_f32(r, "v", A, &a->v)) return 0;
    } else if (!read_f32(r, "keys", B * H * S, &a->keys)) {
      return 0;
    }
    if (!read_f32(r, "values", B * S * M, &a->values) || !read_f32(r, "maskBias", B * S, &a->mask_bias) ||
        !read_f32(r, "wc", (H + M) * H, &a->wc)) {
      return 0;
    }
    napi_value weights;
    napi_valuetype weights_type = napi_null;
    if (napi_get_named_property(r->env, r->spec, "attentionOut", &weights) == napi_ok) napi_typeof(r->env, weights, &weights_type);
    if (weights_type != napi_null && weights_type != napi_undefined &&
        !typed_value(r, weights, "attentionOut", napi_float32_array, B * S, (void **)&a->attention_out)) {
      return 0;
    }
  }
  if (!read_f32(r, "outKernel", H * V, &a->out_kernel) || !read_f32(r, "outBias", V, &a->out_bias)) return 0;
  a->n_active = -1;
  napi_value active;
  napi_valuetype active_type = napi_null;
  if (napi_get_named_property(r->env, r->spec, "active", &active) == napi_ok) napi_typeof(r->env, active, &active_type);
  if (active_type != napi_null && active_type != napi_undefined) {
    size_t n = 0;
    if (!get_typed(r->env, active, napi_int32_array, (void **)&a->active, &n) || n > B) return fail(r, "must be an Int32Array of at most rows row numbers", "active");
    for (size_t i = 0; i < n; i++) {
      if (a->active[i] < 0 || (uint64_t)a->active[i] >= B || (i > 0 && a->active[i] <= a->active[i - 1])) return fail(r, "must be ascending row numbers below rows", "active");
    }
    a->n_active = (int)n;
  }
  if (a->top_k > 0) {
    const uint64_t K = (uint64_t)a->top_k;
    return read_typed(r, "topIds", napi_int32_array, B * K, (void **)&a->top_ids) &&
           read_typed(r, "topLogProbs", napi_float32_array, B * K, (void **)&a->top_log_probs);
  }
  return read_typed(r, "logProbs", napi_float32_array, B * V, (void **)&a->log_probs);
}

static napi_value decoder_step_js(napi_env env, napi_callback_info cb) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype type;
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_typeof(env, argv[0], &type) != napi_ok ||
      type != napi_object) {
    return throw_error(env, "decoderStep takes one object");
  }
  if (!blas_library()) return throw_error(env, "no optimised BLAS loaded");
  reader r = { env, argv[0], "" };
  decoder_step_args a = { 0 };
  if (!read_args(&r, &a)) return throw_error(env, r.message);
  if (decoder_step(blas_sgemm_sized, &a) != 0) return throw_error(env, "decoderStep: out of memory");
  return NULL;
}

void define_decoder_bindings(napi_env env, napi_value exports) {
  napi_property_descriptor d = { "decoderStep", NULL, decoder_step_js, NULL, NULL, NULL, napi_enumerable, NULL };
  napi_define_properties(env, exports, 1, &d);
}
