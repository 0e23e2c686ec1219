/**
 * A whole LSTM sequence as one differentiable operation with a hand-written backward pass
 * (backpropagation through time). Autograd on the per-step graph transposes the recurrent kernel
 * once per step and sums one weight gradient per step; here the transpose is made once, per-step
 * work is only the element-wise gate derivatives and one [B,4H] x [4H,H] multiply, and the
 * recurrent kernel's gradient is a single [H, T*B] x [T*B, 4H] multiply at the end.
 *
 * Forward, per step t (mask m_t in {0,1} keeps the previous state on padding):
 *   z = xw_t + h_{t-1} Wh;  i,f,o = sigmoid, g = tanh;  c~ = f c_{t-1} + i g;  h~ = o tanh(c~)
 *   c_t = c_{t-1} + m (c~ - c_{t-1});  h_t = h_{t-1} + m (h~ - h_{t-1})
 */
import { tf } from '../../tf';

export interface LstmSequenceResult { outputs: tf.Tensor3D; h: tf.Tensor2D; c: tf.Tensor2D }

/**
 * xw: projected inputs [T, B, 4H] (bias included); wh: [H, 4H]; h0, c0: [B, H];
 * mask: [T, B, 1] or null; reverse: run from the last step to the first.
 */
export function lstmSequence(xw: tf.Tensor3D, wh: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D, mask: tf.Tensor3D | null, reverse: boolean): LstmSequenceResult {
  const [T, B, G] = xw.shape;
  const H = G / 4;
  const maskT = mask ?? tf.ones([T, B, 1]);
  // customGrad returns one tensor: outputs, final h and final c are packed along time as [T + 2, B, H].
  const op = tf.customGrad(((xwIn: tf.Tensor, whIn: tf.Tensor, h0In: tf.Tensor, c0In: tf.Tensor, maskIn: tf.Tensor, save: tf.GradSaveFunc) => {
    // customGrad does not scope its forward function: the tidy frees every per-step temporary as soon
    // as the sequence is done, keeping only what the backward pass needs (peak memory, long sequences).
    const [value, hsT, csT, gatesT, candT] = tf.tidy(() => {
      const steps = tf.unstack(xwIn) as tf.Tensor2D[];
      const masks = mask ? (tf.unstack(maskIn) as tf.Tensor2D[]) : null;
      const hs: tf.Tensor2D[] = new Array(T + 1);
      const cs: tf.Tensor2D[] = new Array(T + 1);
      const gates: tf.Tensor2D[] = new Array(T);
      const cand: tf.Tensor2D[] = new Array(T);
      const outputs: tf.Tensor2D[] = new Array(T);
      let h = h0In as tf.Tensor2D;
      let c = c0In as tf.Tensor2D;
      hs[0] = h; cs[0] = c;
      // All four gate activations in one pass: tanh(x) = 2 sigmoid(2x) - 1, so the g block is scaled
      // by 2 before one sigmoid and mapped back after it (no split/concat per step).
      const scale = tf.tensor1d(Array.from({ length: G }, (_, j) => (j >= 2 * H && j < 3 * H ? 2 : 1)));
      const shift = tf.tensor1d(Array.from({ length: G }, (_, j) => (j >= 2 * H && j < 3 * H ? -1 : 0)));
      for (let k = 0; k < T; k++) {
        const t = reverse ? T - 1 - k : k;
        const z = tf.add(steps[t], tf.matMul(h, whIn as tf.Tensor2D));
        const act = tf.add(tf.mul(tf.sigmoid(tf.mul(z, scale)), scale), shift) as tf.Tensor2D;
        const [i, f, g, o] = tf.split(act, 4, 1);
        const cNew = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D;
        const hNew = tf.mul(o, tf.tanh(cNew)) as tf.Tensor2D;
        gates[k] = act;
        cand[k] = cNew;
        if (masks) {
          const m = masks[t];
          c = tf.add(c, tf.mul(m, tf.sub(cNew, c))) as tf.Tensor2D;
          h = tf.add(h, tf.mul(m, tf.sub(hNew, h))) as tf.Tensor2D;
        } else { c = cNew; h = hNew; }
        hs[k + 1] = h; cs[k + 1] = c;
        outputs[t] = h;
      }
      // Saved in processing order (k), not time order.
      return [tf.concat([tf.stack(outputs), tf.expandDims(h, 0), tf.expandDims(c, 0)], 0), tf.stack(hs), tf.stack(cs), tf.stack(gates), tf.stack(cand)];
    });
    save([whIn, hsT, csT, gatesT, candT, maskIn]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [whS, hsS, csS, gatesS, candS, maskS] = saved;
        const whT = tf.transpose(whS) as tf.Tensor2D; // once per sequence
        const dyU = tf.unstack(dy) as tf.Tensor2D[];
        const dOut = dyU.slice(0, T);
        let dh = dyU[T];
        let dc = dyU[T + 1];
        const hsU = tf.unstack(hsS) as tf.Tensor2D[];
        const mU = mask ? (tf.unstack(maskS) as tf.Tensor2D[]) : null;
        // Everything that does not depend on the incoming gradient is computed for all steps at once:
        // gate derivatives a(1-a) (sigmoid) and (1-g)(1+g) (tanh), and the factors of dz.
        const [iAll, fAll, gAll, oAll] = tf.split(gatesS, 4, 2);
        const tcAll = tf.tanh(candS);
        const oDtU = tf.unstack(tf.mul(oAll, tf.sub(1, tf.square(tcAll)))) as tf.Tensor2D[];
        const q = tf.tensor1d(Array.from({ length: G }, (_, j) => (j >= 2 * H && j < 3 * H ? 1 : 0)));
        const deriv = tf.mul(tf.sub(1, gatesS), tf.add(gatesS, q));
        const cPrevAll = tf.slice(csS, [0, 0, 0], [T, B, H]);
        const multU = tf.unstack(tf.mul(tf.concat([gAll, cPrevAll, iAll, tcAll], 2), deriv)) as tf.Tensor2D[];
        const fU = tf.unstack(fAll) as tf.Tensor2D[];
        const dz: tf.Tensor2D[] = new Array(T);
        for (let k = T - 1; k >= 0; k--) {
          const t = reverse ? T - 1 - k : k;
          dh = tf.add(dh, dOut[t]) as tf.Tensor2D;
          let dhNew = dh; let dcIn = dc;
          let dhKeep: tf.Tensor2D | null = null; let dcKeep: tf.Tensor2D | null = null;
          if (mU) {
            const m = mU[t];
            dhNew = tf.mul(m, dh) as tf.Tensor2D; dhKeep = tf.sub(dh, dhNew) as tf.Tensor2D;
            dcIn = tf.mul(m, dc) as tf.Tensor2D; dcKeep = tf.sub(dc, dcIn) as tf.Tensor2D;
          }
          const dcNew = tf.add(dcIn, tf.mul(dhNew, oDtU[k])) as tf.Tensor2D;
          const dzk = tf.mul(tf.concat([dcNew, dcNew, dcNew, dhNew], 1), multU[k]) as tf.Tensor2D;
          dz[t] = dzk;
          dc = tf.mul(dcNew, fU[k]) as tf.Tensor2D;
          dh = tf.matMul(dzk, whT) as tf.Tensor2D;
          if (dhKeep) dh = tf.add(dh, dhKeep) as tf.Tensor2D;
          if (dcKeep) dc = tf.add(dc, dcKeep) as tf.Tensor2D;
        }
        const dXw = tf.stack(dz) as tf.Tensor3D;
        // dWh = sum over steps of h_prev^T dz, as one multiply: h_prev in time order [T*B, H].
        const hPrevTime = tf.stack(Array.from({ length: T }, (_, t) => hsU[reverse ? T - 1 - t : t])) as tf.Tensor3D;
        const hPrevFlatT = tf.transpose(tf.reshape(hPrevTime, [T * B, H])) as tf.Tensor2D;
        const dWh = tf.matMul(hPrevFlatT, tf.reshape(dXw, [T * B, G]) as tf.Tensor2D);
        return [dXw, dWh, dh, dc, tf.zerosLike(maskS)];
      }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return unpack(op(xw, wh, h0, c0, maskT) as tf.Tensor3D, T);
}

/** [T + 2, B, H] -> outputs [T, B, H], final h and c [B, H]. */
export function unpack(packed: tf.Tensor3D, T: number): LstmSequenceResult {
  const [outputs, h, c] = tf.split(packed, [T, 1, 1], 0);
  return { outputs: outputs as tf.Tensor3D, h: tf.squeeze(h, [0]) as tf.Tensor2D, c: tf.squeeze(c, [0]) as tf.Tensor2D };
}
