/* Argument helpers shared by the N-API binding files (bindings.c, spec_reader.c). */
#ifndef SEQ2SEQ_NAPI_ARGS_H
#define SEQ2SEQ_NAPI_ARGS_H
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>

static inline napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, "SEQ2SEQ_BLAS", message);
  return NULL;
}

static inline int get_int(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

/* A typed array's data pointer and length if it has the given element type; 0 otherwise. */
static inline int get_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, length, &ptr, NULL, NULL) != napi_ok) return 0;
  if (type != want) return 0;
  *data = ptr;
  return 1;
}

/* A Float32Array's data pointer and length; 0 if v is not one. */
static inline int get_f32(napi_env env, napi_value v, float **data, size_t *length) {
  return get_typed(env, v, napi_float32_array, (void **)data, length);
}

#endif
