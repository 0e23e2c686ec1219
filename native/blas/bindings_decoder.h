/* The N-API binding of the decoder step (bindings_decoder.c), added to the addon's exports by bindings.c. */
#ifndef SEQ2SEQ_BINDINGS_DECODER_H
#define SEQ2SEQ_BINDINGS_DECODER_H
#include "napi_args.h"

void define_decoder_bindings(napi_env env, napi_value exports);

#endif
