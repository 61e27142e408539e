/**
 * This project's WebGPU kernels (WGSL through tfjs-backend-webgpu's program runner), registered on the
 * worker's webgpu backend. The main thread composes them into the fused kernels the model ops ask for
 * (fused.ts). Each thread does one row, one (batch, head, position) or one output element:
 *
 * - HbRowLogSumExp {x [n, C]} -> [n]: log Σ_j exp(x_ij), one workgroup per row reducing C in blocks;
 * - HbSoftmaxXentGrad {logits [n, C], lse [n], targets [n] int32, dy [1]}, {scale} ->
 *   (exp(logits − lse) − onehot(targets))·dy·scale;
 * - HbSegmentSum {dy [n, d], order [n] int32, offsets [V+1] int32} -> [V, d]: row v sums the rows
 *   order[offsets[v]..offsets[v+1]) of dy in that order (the gradient of a row gather, without atomics);
 * - HbAttnLse {qkv [B·T, 3d], keyBias [B·T]}, {T, H, causal, scale, blocked} -> [B·H·T]: each query's
 *   log-sum-exp of its scores (q·k)·scale + bias, bias = `blocked` on masked keys, else 0;
 * - HbAttnOut {qkv, keyBias, lse} -> [B·T, d]: Σ_j exp(s_ij − lse_i)·v_j, heads side by side;
 * - HbAttnRowDot {dy [B·T, d], attnOut [B·T, d]}, {T, H} -> [B·H·T]: dO_i·O_i per head;
 * - HbAttnGrad {qkv, keyBias, lse, dy, rowDot} -> [B·T, 3d]: dQ | dK | dV in qkv's layout.
 */
import * as tf from "@tensorflow/tfjs";
import type { WebGPUBackend, WebGPUProgram } from "@tensorflow/tfjs-backend-webgpu";

const WORKGROUP = 64;

type Uniform = { type: "int32" | "float32"; data: number[] };

/** A program of `threads` invocations over a flat index, writing an output of `outputShape`. */
function flatProgram(
  key: string,
  outputShape: number[],
  threads: number,
  variableNames: string[],
  uniforms: string,
  body: string,
  workgroup = WORKGROUP,
): WebGPUProgram {
  return {
    shaderKey: key,
    outputShape,
    variableNames,
    uniforms,
    workgroupSize: [workgroup, 1, 1],
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(threads / workgroup), 1, 1],
    getUserCode: () => body,
  };
}

function run(
  backend: WebGPUBackend,
  program: WebGPUProgram,
  inputs: tf.TensorInfo[],
  uniforms: Uniform[],
): tf.TensorInfo {
  return backend.runWebGPUProgram(program, inputs, "float32", uniforms);
}

type Kernel = (
  args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: WebGPUBackend },
) => tf.TensorInfo;

const ROW_BLOCK = 256;

/** log Σ exp over each row, the columns in blocks of ROW_BLOCK threads. */
const rowLogSumExp: Kernel = ({ inputs, backend }) => {
  const x = inputs.x as tf.TensorInfo;
  const [n, cols] = x.shape;
  const body = `
    var<workgroup> buf : array<f32, ${ROW_BLOCK}>;
    var<workgroup> rowMax : f32;
    fn main(index : i32) {
      let row = index / ${ROW_BLOCK};
      let tid = index % ${ROW_BLOCK};
      let cols = uniforms.cols;
      var m = -3.402823e+38f;
      for (var c = tid; c < cols; c += ${ROW_BLOCK}) { m = max(m, x[row * cols + c]); }
      buf[tid] = m;
      workgroupBarrier();
      for (var s = ${ROW_BLOCK / 2}; s > 0; s = s >> 1) {
        if (tid < s) { buf[tid] = max(buf[tid], buf[tid + s]); }
        workgroupBarrier();
      }
      if (tid == 0) { rowMax = buf[0]; }
      workgroupBarrier();
      let rm = rowMax;
      var total = 0.0;
      for (var c = tid; c < cols; c += ${ROW_BLOCK}) { total += exp(x[row * cols + c] - rm); }
      workgroupBarrier();
      buf[tid] = total;
      workgroupBarrier();
      for (var s = ${ROW_BLOCK / 2}; s > 0; s = s >> 1) {
        if (tid < s) { buf[tid] = buf[tid] + buf[tid + s]; }
        workgroupBarrier();
      }
      if (tid == 0) { setOutputAtIndex(row, rm + log(buf[0])); }
    }`;
  const program = flatProgram("hb_row_lse", [n], n * ROW_BLOCK, ["x"], "cols : i32,", body, ROW_BLOCK);
  return run(backend, program, [x], [{ type: "int32", data: [cols] }]);
};

/** (softmax − onehot)·dy·scale from the logits and their row log-sum-exps. */
const softmaxXentGrad: Kernel = ({ inputs, attrs, backend }) => {
  const { logits, lse, targets, dy } = inputs as Record<string, tf.TensorInfo>;
  const [n, cols] = logits.shape;
  const body = `
    fn main(index : i32) {
      if (index >= uniforms.size) { return; }
      let row = index / uniforms.cols;
      let col = index - row * uniforms.cols;
      var p = exp(logits[index] - lse[row]);
      if (targets[row] == col) { p = p - 1.0; }
      setOutputAtIndex(index, p * dy[0] * uniforms.scale);
    }`;
  const program = flatProgram(
    "hb_softmax_xent_grad",
    [n, cols],
    n * cols,
    ["logits", "lse", "targets", "dy"],
    "size : i32, cols : i32, scale : f32,",
    body,
  );
  return run(backend, program, [logits, lse, targets, dy], [
    { type: "int32", data: [n * cols] },
    { type: "int32", data: [cols] },
    { type: "float32", data: [attrs.scale as number] },
  ]);
};

/** Rows of dy summed into their segments, in the order given: deterministic, no atomics. */
const segmentSum: Kernel = ({ inputs, backend }) => {
  const { dy, order, offsets } = inputs as Record<string, tf.TensorInfo>;
  const d = dy.shape[1];
  const rows = offsets.shape[0] - 1;
  const body = `
    fn main(index : i32) {
      if (index >= uniforms.size) { return; }
      let v = index / uniforms.d;
      let c = index - v * uniforms.d;
      var total = 0.0;
      for (var k = offsets[v]; k < offsets[v + 1]; k++) { total += dy[order[k] * uniforms.d + c]; }
      setOutputAtIndex(index, total);
    }`;
  const program = flatProgram(
    "hb_segment_sum",
    [rows, d],
    rows * d,
    ["dy", "order", "offsets"],
    "size : i32, d : i32,",
    body,
  );
  return run(backend, program, [dy, order, offsets], [
    { type: "int32", data: [rows * d] },
    { type: "int32", data: [d] },
  ]);
};

/** Attention attrs: sequence length, heads, causal (1/0), 1/√dh and the masked-score bias. */
function attentionUniforms(attrs: tf.NamedAttrMap, threads: number): Uniform[] {
  return [
    { type: "int32", data: [threads] },
    { type: "int32", data: [attrs.T as number] },
    { type: "int32", data: [attrs.H as number] },
    { type: "int32", data: [attrs.causal ? 1 : 0] },
    { type: "float32", data: [attrs.scale as number] },
    { type: "float32", data: [attrs.blocked as number] },
  ];
}

const ATTENTION_UNIFORMS = "size : i32, T : i32, H : i32, causal : i32, scale : f32, blocked : f32,";

/**
 * WGSL shared by the attention kernels for head size `dh`: thread `index` is (b, h, t) with t fastest;
 * row(b, t) is b·T + t in qkv; part 0/1/2 = q/k/v; score(i, j) is the scaled, biased q_i·k_j.
 */
function attentionPrelude(dh: number): string {
  return `
    const DH = ${dh};
    fn at(b : i32, t : i32, part : i32, h : i32, c : i32) -> i32 {
      let d = uniforms.H * DH;
      return (b * uniforms.T + t) * 3 * d + part * d + h * DH + c;
    }
    fn bias(b : i32, i : i32, j : i32) -> f32 {
      if (uniforms.causal == 1) { return select(0.0, uniforms.blocked, j > i); }
      return keyBias[b * uniforms.T + j];
    }
    fn score(b : i32, h : i32, i : i32, j : i32) -> f32 {
      var s = 0.0;
      for (var c = 0; c < DH; c++) { s += qkv[at(b, i, 0, h, c)] * qkv[at(b, j, 1, h, c)]; }
      return s * uniforms.scale + bias(b, i, j);
    }`;
}

/** Splits `index` into (b, h, t). */
const WHO = `
      let t = index % uniforms.T;
      let h = (index / uniforms.T) % uniforms.H;
      let b = index / (uniforms.T * uniforms.H);`;

function headSize(qkv: tf.TensorInfo, attrs: tf.NamedAttrMap): number {
  return qkv.shape[1] / (3 * (attrs.H as number));
}

const attnLse: Kernel = ({ inputs, attrs, backend }) => {
  const { qkv, keyBias } = inputs as Record<string, tf.TensorInfo>;
  const dh = headSize(qkv, attrs);
  const threads = (qkv.shape[0] / (attrs.T as number)) * (attrs.H as number) * (attrs.T as number);
  const body = `${attentionPrelude(dh)}
    fn main(index : i32) {
      if (index >= uniforms.size) { return; }${WHO}
      var m = -3.402823e+38f;
      for (var j = 0; j < uniforms.T; j++) { m = max(m, score(b, h, t, j)); }
      var total = 0.0;
      for (var j = 0; j < uniforms.T; j++) { total += exp(score(b, h, t, j) - m); }
      setOutputAtIndex(index, m + log(total));
    }`;
  const program = flatProgram(`hb_attn_lse_${dh}`, [threads], threads, ["qkv", "keyBias"], ATTENTION_UNIFORMS, body);
  return run(backend, program, [qkv, keyBias], attentionUniforms(attrs, threads));
};

const attnOutput: Kernel = ({ inputs, attrs, backend }) => {
  const { qkv, keyBias, lse } = inputs as Record<string, tf.TensorInfo>;
  const dh = headSize(qkv, attrs);
  const n = qkv.shape[0];
  const H = attrs.H as number;
  const threads = n * H;
  const body = `${attentionPrelude(dh)}
    fn main(index : i32) {
      if (index >= uniforms.size) { return; }${WHO}
      var acc : array<f32, DH>;
      for (var c = 0; c < DH; c++) { acc[c] = 0.0; }
      let l = lse[index];
      for (var j = 0; j < uniforms.T; j++) {
        let p = exp(score(b, h, t, j) - l);
        for (var c = 0; c < DH; c++) { acc[c] += p * qkv[at(b, j, 2, h, c)]; }
      }
      let row = (b * uniforms.T + t) * uniforms.H * DH + h * DH;
      for (var c = 0; c < DH; c++) { setOutputAtIndex(row + c, acc[c]); }
    }`;
  const program = flatProgram(
    `hb_attn_out_${dh}`,
    [n, H * dh],
    threads,
    ["qkv", "keyBias", "lse"],
    ATTENTION_UNIFORMS,
    body,
  );
  return run(backend, program, [qkv, keyBias, lse], attentionUniforms(attrs, threads));
};

const attnRowDot: Kernel = ({ inputs, attrs, backend }) => {
  const { dy, attnOut } = inputs as Record<string, tf.TensorInfo>;
  const [n, d] = dy.shape;
  const H = attrs.H as number;
  const dh = d / H;
  const body = `
    fn main(index : i32) {
      if (index >= uniforms.size) { return; }
      let t = index % uniforms.T;
      let h = (index / uniforms.T) % uniforms.H;
      let b = index / (uniforms.T * uniforms.H);
      let row = (b * uniforms.T + t) * uniforms.H * ${dh} + h * ${dh};
      var total = 0.0;
      for (var c = 0; c < ${dh}; c++) { total += dy[row + c] * attnOut[row + c]; }
      setOutputAtIndex(index, total);
    }`;
  const threads = n * H;
  const program = flatProgram(
    `hb_attn_rowdot_${dh}`,
    [threads],
    threads,
    ["dy", "attnOut"],
    "size : i32, T : i32, H : i32,",
    body,
  );
  return run(backend, program, [dy, attnOut], [
    { type: "int32", data: [threads] },
    { type: "int32", data: [attrs.T as number] },
    { type: "int32", data: [H] },
  ]);
};

/**
 * dQ, dK, dV of position t of head (b, h), with dS_ij = p_ij·(dO_i·v_j − D_i)·scale:
 * dQ_t = Σ_j dS_tj k_j; dK_t = Σ_i dS_it q_i; dV_t = Σ_i p_it dO_i.
 */
const attnGrad: Kernel = ({ inputs, attrs, backend }) => {
  const { qkv, keyBias, lse, dy, rowDot } = inputs as Record<string, tf.TensorInfo>;
  const dh = headSize(qkv, attrs);
  const [n, d3] = qkv.shape;
  const H = attrs.H as number;
  const threads = n * H;
  const body = `${attentionPrelude(dh)}
    fn dO(b : i32, t : i32, h : i32, c : i32) -> f32 { return dy[(b * uniforms.T + t) * uniforms.H * DH + h * DH + c]; }
    fn dOdotV(b : i32, i : i32, h : i32, j : i32) -> f32 {
      var s = 0.0;
      for (var c = 0; c < DH; c++) { s += dO(b, i, h, c) * qkv[at(b, j, 2, h, c)]; }
      return s;
    }
    fn main(index : i32) {
      if (index >= uniforms.size) { return; }${WHO}
      let bh = (b * uniforms.H + h) * uniforms.T;
      var gq : array<f32, DH>;
      var gk : array<f32, DH>;
      var gv : array<f32, DH>;
      for (var c = 0; c < DH; c++) { gq[c] = 0.0; gk[c] = 0.0; gv[c] = 0.0; }
      for (var j = 0; j < uniforms.T; j++) {
        let p = exp(score(b, h, t, j) - lse[bh + t]);
        let ds = p * (dOdotV(b, t, h, j) - rowDot[bh + t]) * uniforms.scale;
        for (var c = 0; c < DH; c++) { gq[c] += ds * qkv[at(b, j, 1, h, c)]; }
      }
      for (var i = 0; i < uniforms.T; i++) {
        let p = exp(score(b, h, i, t) - lse[bh + i]);
        let ds = p * (dOdotV(b, i, h, t) - rowDot[bh + i]) * uniforms.scale;
        for (var c = 0; c < DH; c++) {
          gk[c] += ds * qkv[at(b, i, 0, h, c)];
          gv[c] += p * dO(b, i, h, c);
        }
      }
      for (var c = 0; c < DH; c++) {
        setOutputAtIndex(at(b, t, 0, h, c), gq[c]);
        setOutputAtIndex(at(b, t, 1, h, c), gk[c]);
        setOutputAtIndex(at(b, t, 2, h, c), gv[c]);
      }
    }`;
  const program = flatProgram(
    `hb_attn_grad_${dh}`,
    [n, d3],
    threads,
    ["qkv", "keyBias", "lse", "dy", "rowDot"],
    ATTENTION_UNIFORMS,
    body,
  );
  return run(backend, program, [qkv, keyBias, lse, dy, rowDot], attentionUniforms(attrs, threads));
};

/** The kernels by name. */
export const WEBGPU_KERNELS: Record<string, Kernel> = {
  HbRowLogSumExp: rowLogSumExp,
  HbSoftmaxXentGrad: softmaxXentGrad,
  HbSegmentSum: segmentSum,
  HbAttnLse: attnLse,
  HbAttnOut: attnOutput,
  HbAttnRowDot: attnRowDot,
  HbAttnGrad: attnGrad,
};

/**
 * tfjs-backend-webgpu's AddN binds every input at once, and a device allows only
 * maxStorageBuffersPerShaderStage bindings (8 by default): more inputs (a gradient norm over every
 * parameter) fail validation, silently. Sums more inputs in runs that fit, left to right as one AddN.
 */
function chunkedAddN(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const xs = args.inputs as unknown as tf.TensorInfo[];
    const backend = args.backend as unknown as WebGPUBackend;
    const max = backend.device.limits.maxStorageBuffersPerShaderStage - 1;
    if (xs.length <= max) return original(args);
    let acc = original({ ...args, inputs: xs.slice(0, max) as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
    for (let i = max; i < xs.length; i += max - 1) {
      const inputs = [acc, ...xs.slice(i, i + max - 1)] as unknown as tf.NamedTensorInfoMap;
      const next = original({ ...args, inputs }) as tf.TensorInfo;
      backend.disposeData(acc.dataId);
      acc = next;
    }
    return acc;
  };
}

/** Registers the kernels on the webgpu backend; called once by the worker after its backend is up. */
export function registerWebGpuKernels(): void {
  for (const [kernelName, kernel] of Object.entries(WEBGPU_KERNELS)) {
    if (tf.getKernel(kernelName, "webgpu")) tf.unregisterKernel(kernelName, "webgpu");
    tf.registerKernel({ kernelName, backendName: "webgpu", kernelFunc: kernel as unknown as tf.KernelFunc });
  }
  const addN = tf.getKernel("AddN", "webgpu");
  if (addN) {
    tf.unregisterKernel("AddN", "webgpu");
    tf.registerKernel({ ...addN, kernelFunc: chunkedAddN(addN.kernelFunc) });
  }
}
