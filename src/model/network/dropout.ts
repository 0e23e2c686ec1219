/**
 * Dropout for training: x times a mask of 1/(1 - rate) (probability 1 - rate) and 0, as tf.dropout
 * does; the mask comes from our native kernel on the wasm backend when it is there (tf.dropout draws
 * its random numbers one by one in JavaScript), else from tf.dropout itself.
 */
import { tf } from '../acceleration/backend';
import { nativeDropoutActive, nativeDropoutMask } from '../acceleration/nativeElementwise';

export function dropout<T extends tf.Tensor>(x: T, rate: number): T {
  if (rate <= 0) return x;
  if (!nativeDropoutActive()) return tf.dropout(x, rate) as T;
  const seed = Math.floor(Math.random() * 2 ** 52);
  return tf.mul(x, nativeDropoutMask(x.shape, 1 - rate, seed)) as T;
}
