/**
 * The accelerator hook (models/accelerator.ts): an installed accelerator's fused kernels are used
 * only while it provides the path and its switch is on; switches reach it; models/ imports nothing
 * from kernels/ or backends/.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backends/mod.ts";
import {
  type Accelerator,
  activeAccelerator,
  FAST_PATHS,
  type FastPath,
  fastPathSwitches,
  installAccelerator,
  setFastPaths,
} from "../models/accelerator.ts";
import { crossEntropy } from "../models/ops.ts";
import { InputError } from "../util/errors.ts";

await initBackend("wasm");

/** An accelerator whose CrossEntropy is tfjs's own softmax cross-entropy, counting its calls. */
function countingAccelerator(paths: FastPath[]) {
  const calls: string[] = [];
  const seen: Record<string, boolean>[] = [];
  const accelerator: Accelerator = {
    name: "test",
    provides: (path) => paths.includes(path),
    runFused(name, inputs, attrs = {}) {
      calls.push(name);
      const targets = attrs.targets as Int32Array;
      if (name === "CrossEntropy") {
        const p = tf.softmax(inputs.logits);
        const picked = tf.gather(tf.reshape(p, [-1]), targets.map((t, i) => i * p.shape[1]! + t));
        return [tf.neg(tf.mean(tf.log(picked))), p];
      }
      if (name === "CrossEntropyGrad") {
        const [n, c] = inputs.s0.shape;
        const oneHot = tf.tensor2d(
          Float32Array.from({ length: n! * c! }, (_, i) => (targets[Math.floor(i / c!)] === i % c! ? 1 : 0)),
          [n!, c!],
        );
        return tf.mul(tf.sub(inputs.s0, oneHot), tf.div(inputs.dy, n));
      }
      throw new Error(`unexpected ${name}`);
    },
    applySwitches: (on) => void seen.push({ ...on }),
  };
  return { accelerator, calls, seen };
}

Deno.test("crossEntropy runs the accelerator's fused kernels only while provided and switched on", () => {
  const logits = tf.tensor2d([[0, Math.log(3)], [2, 0]]);
  const targets = Int32Array.from([0, 0]);
  // Hand-computed: row 0 p = (1/4, 3/4), row 1 p = (e²/(e²+1), 1/(e²+1)).
  const want = (Math.log(4) + Math.log(1 + Math.exp(-2))) / 2;
  const lossAndGrad = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => crossEntropy(tf.mul(logits, v), targets), [v]);
      return [value.dataSync()[0], grads[v.name].dataSync()[0]];
    });
  const v = tf.variable(tf.scalar(1));
  const { accelerator, calls, seen } = countingAccelerator(["fusedCrossEntropy"]);
  const before = activeAccelerator();
  try {
    const plain = lossAndGrad();
    installAccelerator(accelerator);
    assertEquals(seen.length, 1, "installing tells the accelerator the switches");
    const fused = lossAndGrad();
    assertEquals(calls, ["CrossEntropy", "CrossEntropyGrad"]);
    assert(Math.abs(fused[0] - want) < 1e-6 && Math.abs(plain[0] - want) < 1e-6, `${fused[0]} ${plain[0]} ${want}`);
    assert(Math.abs(fused[1] - plain[1]) < 1e-6, `d/dv: ${fused[1]} vs ${plain[1]}`);
    setFastPaths(["fusedCrossEntropy"]);
    assertEquals(seen.at(-1)!.fusedCrossEntropy, false);
    lossAndGrad();
    assertEquals(calls.length, 2, "switched off: the plain path runs");
    setFastPaths([]);
    installAccelerator(countingAccelerator([]).accelerator);
    lossAndGrad();
    assertEquals(calls.length, 2, "not provided: the plain path runs");
  } finally {
    setFastPaths([]);
    installAccelerator(before);
    v.dispose();
    logits.dispose();
  }
});

Deno.test("setFastPaths: all, a list, unknown names refused; the switches are read as a copy", () => {
  try {
    setFastPaths(["all"]);
    assert(FAST_PATHS.every((p) => !fastPathSwitches()[p]));
    setFastPaths(["nativeGelu", "batchedAttention"]);
    assertEquals(FAST_PATHS.filter((p) => !fastPathSwitches()[p]), ["batchedAttention", "nativeGelu"]);
    assertThrows(() => setFastPaths(["nope"]), InputError, "unknown fast path");
    (fastPathSwitches() as Record<string, boolean>).nativeGelu = true;
    assertEquals(fastPathSwitches().nativeGelu, false);
  } finally {
    setFastPaths([]);
  }
});

Deno.test("models/ imports nothing from kernels/ or backends/", async () => {
  const dir = new URL("../models/", import.meta.url);
  const offenders: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
      if (/(^|\/)(kernels|backends)\//.test(m[1])) offenders.push(`${entry.name}: ${m[1]}`);
    }
  }
  assertEquals(offenders, []);
});
