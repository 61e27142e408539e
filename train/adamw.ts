/**
 * AdamW (Loshchilov & Hutter) over named tf.Variables, as torch.optim.AdamW computes it:
 *   m = b1·m + (1-b1)·g;  v = b2·v + (1-b2)·g²
 *   p = p·(1 - lr·wd) - (lr / (1-b1^t)) · m / (sqrt(v) / sqrt(1-b2^t) + eps)
 * Weight decay is decoupled (applied to the weights, not added to the gradient) and skipped for
 * the names `noDecay` picks (norms, biases). The state (m, v, step) can be read out and put back
 * exactly, so a resumed run continues bit for bit.
 */
import * as tf from "@tensorflow/tfjs";
import { runFused, useFastPath } from "../models/accelerator.ts";

/** Hyper-parameters of AdamW (the learning rate comes per step, from the schedule). */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** True for parameters that get no weight decay. */
  noDecay: (name: string) => boolean;
}

/** Optimizer state as plain arrays: the first and second moments per parameter, and the step count. */
export interface AdamWState {
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

/** AdamW over a fixed set of named variables. */
export class AdamW {
  /** Number of updates applied so far (the `t` of the bias correction). */
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();

  constructor(readonly params: Map<string, tf.Variable>, readonly options: AdamWOptions) {
    for (const [name, p] of params) {
      // tidy frees the zeros tensors; the variables keep their own reference to the data.
      this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    }
  }

  /**
   * Applies one update with learning rate `lr`. A parameter with no gradient in `grads` is left
   * untouched (no decay, moments unchanged), as torch does for a parameter whose grad is None.
   */
  apply(grads: Map<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const { beta1, beta2, eps, weightDecay, noDecay } = this.options;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    // The native path (one fused kernel per parameter) rounds each step to float32 as the kernels below do.
    const native = useFastPath("nativeAdamW");
    const constants = Float32Array.of(
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      Math.sqrt(bc2),
      eps,
      1 - lr * weightDecay,
      lr / bc1,
    );
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads.get(name);
        if (!g) continue;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        if (native && g.dtype === "float32" && p.dtype === "float32") {
          const [pNew, mNew, vNew] = runFused("HbAdamW", { p, m, v, g }, {
            constants,
            decay: !noDecay(name),
          }) as tf.Tensor[];
          p.assign(pNew);
          m.assign(mNew);
          v.assign(vNew);
          continue;
        }
        const mNew = m.mul(beta1).add(g.mul(1 - beta1));
        const vNew = v.mul(beta2).add(g.square().mul(1 - beta2));
        const denom = vNew.sqrt().div(Math.sqrt(bc2)).add(eps);
        const decayed = noDecay(name) ? p : p.mul(1 - lr * weightDecay);
        p.assign(decayed.sub(mNew.div(denom).mul(lr / bc1)));
        m.assign(mNew);
        v.assign(vNew);
      }
    });
  }

  /** A copy of the state (moments read back from the backend). */
  state(): AdamWState {
    const read = (vars: Map<string, tf.Variable>) =>
      new Map([...vars].map(([name, t]) => [name, Float32Array.from(t.dataSync() as Float32Array)]));
    return { step: this.step, m: read(this.m), v: read(this.v) };
  }

  /** Restores a state written by `state()`; every parameter's moments must be present, with its size. */
  loadState(state: AdamWState): void {
    for (const [label, source, target] of [["m", state.m, this.m], ["v", state.v, this.v]] as const) {
      for (const [name, variable] of target) {
        const data = source.get(name);
        if (!data || data.length !== variable.size) {
          throw new Error(
            `AdamW state: ${label} for ${name} is ${
              data ? `of size ${data.length}` : "missing"
            }, expected size ${variable.size}`,
          );
        }
        tf.tidy(() => variable.assign(tf.tensor(data, variable.shape, "float32")));
      }
    }
    this.step = state.step;
  }

  /** Frees the moment buffers. */
  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
