/*
 * Reading a binding's one argument object (a spec of named sizes and typed arrays), each value checked
 * against what the kernel will touch; shared by bindings_decoder.c and bindings_transformer_step.c.
 * Every function returns 1, or 0 with the reason in r->message ("<fn>: <name> <what>").
 */
#ifndef SEQ2SEQ_SPEC_READER_H
#define SEQ2SEQ_SPEC_READER_H
#include <stdint.h>
#include "napi_args.h"

typedef struct { napi_env env; napi_value spec; const char *fn; char message[200]; } spec_reader;

int spec_fail(spec_reader *r, const char *what, const char *name);
/* An integer property in [lo, hi]. */
int spec_int(spec_reader *r, const char *name, int lo, int hi, int *out);
/* A finite number property. */
int spec_number(spec_reader *r, const char *name, double *out);
/* A typed array of at least `need` elements, from a value. */
int spec_typed_value(spec_reader *r, napi_value v, const char *name, napi_typedarray_type type, uint64_t need, void **out);
/* A typed array property of at least `need` elements. */
int spec_typed(spec_reader *r, const char *name, napi_typedarray_type type, uint64_t need, void **out);
int spec_f32(spec_reader *r, const char *name, uint64_t need, const float **out);
/* As spec_typed, but a missing, null or undefined property gives *out = NULL. */
int spec_optional(spec_reader *r, const char *name, napi_typedarray_type type, uint64_t need, void **out);
/* Element i of the array property `name`: a Float32Array of at least `need` values. */
int spec_element(spec_reader *r, const char *name, int i, uint64_t need, float **out);
/* Every one of the n ids (already read) must be in [0, vocab) (a vocabulary, or a count of rows). */
int spec_ids(spec_reader *r, const char *name, uint64_t n, uint64_t vocab, const int32_t *ids);
/* An optional Int32Array of ascending row numbers below `rows`: *n its length, or -1 (with *out NULL) when absent. */
int spec_rows(spec_reader *r, const char *name, uint64_t rows, const int32_t **out, int *n);
/* A decoder step's outputs: topIds + topLogProbs [rows, k] when k > 0, else logProbs [rows, vocab]. */
int spec_step_outputs(spec_reader *r, uint64_t rows, uint64_t vocab, int k, int32_t **top_ids, float **top_log_probs, float **log_probs);

/*
 * A binding's call with one spec object: checks the argument and that a BLAS is loaded, reads the spec
 * into args with `read` (throwing its reason when it fails), then runs `run` (non-zero: out of memory).
 */
napi_value spec_call(napi_env env, napi_callback_info cb, const char *fn, void *args, int (*read)(spec_reader *, void *), int (*run)(const void *));
/* Adds the function `name` to the addon's exports. */
void spec_export(napi_env env, napi_value exports, const char *name, napi_callback fn);

#endif
