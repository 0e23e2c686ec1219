/* The Transformer kernels' N-API bindings (transformer_bindings.c), added to the addon's exports by bindings.c. */
#ifndef SEQ2SEQ_TRANSFORMER_BINDINGS_H
#define SEQ2SEQ_TRANSFORMER_BINDINGS_H
#include <node_api.h>

void register_transformer_kernels(napi_env env, napi_value exports);

#endif
