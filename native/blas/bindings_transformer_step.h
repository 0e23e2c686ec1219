/* The N-API binding of the Transformer's decoder step (bindings_transformer_step.c), added to the addon's exports by bindings.c. */
#ifndef SEQ2SEQ_BINDINGS_TRANSFORMER_STEP_H
#define SEQ2SEQ_BINDINGS_TRANSFORMER_STEP_H
#include "napi_args.h"

void define_transformer_step_bindings(napi_env env, napi_value exports);

#endif
