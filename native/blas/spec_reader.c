/* See spec_reader.h. */
#include "spec_reader.h"
#include <math.h>
#include <stdio.h>
#include "blas.h"

int spec_fail(spec_reader *r, const char *what, const char *name) {
  snprintf(r->message, sizeof(r->message), "%s: %s %s", r->fn, name, what);
  return 0;
}

int spec_int(spec_reader *r, const char *name, int lo, int hi, int *out) {
  napi_value v;
  int64_t x;
  if (napi_get_named_property(r->env, r->spec, name, &v) != napi_ok || !get_int(r->env, v, &x) || x < lo || x > hi) {
    char what[80];
    snprintf(what, sizeof(what), "must be an integer from %d to %d", lo, hi);
    return spec_fail(r, what, name);
  }
  *out = (int)x;
  return 1;
}

int spec_number(spec_reader *r, const char *name, double *out) {
  napi_value v;
  if (napi_get_named_property(r->env, r->spec, name, &v) != napi_ok || napi_get_value_double(r->env, v, out) != napi_ok || !isfinite(*out)) {
    return spec_fail(r, "must be a finite number", name);
  }
  return 1;
}

int spec_typed_value(spec_reader *r, napi_value v, const char *name, napi_typedarray_type type, uint64_t need, void **out) {
  size_t len = 0;
  if (!get_typed(r->env, v, type, out, &len) || (uint64_t)len < need) {
    char what[100];
    snprintf(what, sizeof(what), "must be a %s of at least %llu values", type == napi_int32_array ? "Int32Array" : "Float32Array",
             (unsigned long long)need);
    return spec_fail(r, what, name);
  }
  return 1;
}

int spec_typed(spec_reader *r, const char *name, napi_typedarray_type type, uint64_t need, void **out) {
  napi_value v;
  if (napi_get_named_property(r->env, r->spec, name, &v) != napi_ok) return spec_fail(r, "is missing", name);
  return spec_typed_value(r, v, name, type, need, out);
}

int spec_f32(spec_reader *r, const char *name, uint64_t need, const float **out) {
  return spec_typed(r, name, napi_float32_array, need, (void **)out);
}

int spec_optional(spec_reader *r, const char *name, napi_typedarray_type type, uint64_t need, void **out) {
  napi_value v;
  napi_valuetype t = napi_undefined;
  *out = NULL;
  if (napi_get_named_property(r->env, r->spec, name, &v) == napi_ok) napi_typeof(r->env, v, &t);
  if (t == napi_null || t == napi_undefined) return 1;
  return spec_typed_value(r, v, name, type, need, out);
}

int spec_element(spec_reader *r, const char *name, int i, uint64_t need, float **out) {
  napi_value list, v;
  bool is_array = false;
  if (napi_get_named_property(r->env, r->spec, name, &list) != napi_ok || napi_is_array(r->env, list, &is_array) != napi_ok || !is_array ||
      napi_get_element(r->env, list, (uint32_t)i, &v) != napi_ok) {
    return spec_fail(r, "must be an array of Float32Arrays", name);
  }
  return spec_typed_value(r, v, name, napi_float32_array, need, (void **)out);
}

int spec_ids(spec_reader *r, const char *name, uint64_t n, uint64_t vocab, const int32_t *ids) {
  for (uint64_t i = 0; i < n; i++) {
    if (ids[i] < 0 || (uint64_t)ids[i] >= vocab) {
      char what[60];
      snprintf(what, sizeof(what), "must be in [0, %llu)", (unsigned long long)vocab);
      return spec_fail(r, what, name);
    }
  }
  return 1;
}

int spec_rows(spec_reader *r, const char *name, uint64_t rows, const int32_t **out, int *n) {
  napi_value v;
  napi_valuetype t = napi_undefined;
  *out = NULL;
  *n = -1;
  if (napi_get_named_property(r->env, r->spec, name, &v) == napi_ok) napi_typeof(r->env, v, &t);
  if (t == napi_null || t == napi_undefined) return 1;
  size_t len = 0;
  int32_t *p = NULL;
  if (!get_typed(r->env, v, napi_int32_array, (void **)&p, &len) || len > rows) return spec_fail(r, "must be an Int32Array of at most rows row numbers", name);
  for (size_t i = 0; i < len; i++) {
    if (p[i] < 0 || (uint64_t)p[i] >= rows || (i > 0 && p[i] <= p[i - 1])) return spec_fail(r, "must be ascending row numbers below rows", name);
  }
  *out = p;
  *n = (int)len;
  return 1;
}

int spec_step_outputs(spec_reader *r, uint64_t rows, uint64_t vocab, int k, int32_t **top_ids, float **top_log_probs, float **log_probs) {
  if (k > 0) {
    return spec_typed(r, "topIds", napi_int32_array, rows * (uint64_t)k, (void **)top_ids) &&
           spec_typed(r, "topLogProbs", napi_float32_array, rows * (uint64_t)k, (void **)top_log_probs);
  }
  return spec_typed(r, "logProbs", napi_float32_array, rows * vocab, (void **)log_probs);
}

napi_value spec_call(napi_env env, napi_callback_info cb, const char *fn, void *args, int (*read)(spec_reader *, void *), int (*run)(const void *)) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype type;
  char message[240];
  if (napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_typeof(env, argv[0], &type) != napi_ok ||
      type != napi_object) {
    snprintf(message, sizeof(message), "%s takes one object", fn);
    return throw_error(env, message);
  }
  if (!blas_library()) return throw_error(env, "no optimised BLAS loaded");
  spec_reader r = { env, argv[0], fn, "" };
  if (!read(&r, args)) return throw_error(env, r.message);
  if (run(args) != 0) {
    snprintf(message, sizeof(message), "%s: out of memory", fn);
    return throw_error(env, message);
  }
  return NULL;
}

void spec_export(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_property_descriptor d = { name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL };
  napi_define_properties(env, exports, 1, &d);
}
