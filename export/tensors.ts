/** Reshaping 2-D float32 tensors for other libraries' layouts. */
import type { F32Tensor } from "./safetensors.ts";

/** The [cols, rows] transpose of a [rows, cols] tensor. */
export function transposed(t: F32Tensor): F32Tensor {
  const [rows, cols] = t.shape;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c];
  return { shape: [cols, rows], data: out };
}

/** Columns [from, to) of a [rows, cols] tensor, or elements [from, to) of a vector. */
export function columns(t: F32Tensor, from: number, to: number): F32Tensor {
  if (t.shape.length === 1) return { shape: [to - from], data: t.data.slice(from, to) };
  const [rows, cols] = t.shape;
  const out = new Float32Array(rows * (to - from));
  for (let r = 0; r < rows; r++) out.set(t.data.subarray(r * cols + from, r * cols + to), r * (to - from));
  return { shape: [rows, to - from], data: out };
}

/** A tensor of zeros. */
export function zeros(shape: number[]): F32Tensor {
  return { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
}
