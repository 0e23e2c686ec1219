/** TensorFlow.js as the engine uses it: the core API with every gradient registered. Backends are chosen in acceleration/backend.ts. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';

export { tf };
