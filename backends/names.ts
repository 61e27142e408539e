/** The backend names, on their own so that profile and flag checks need not load TensorFlow.js. */

/** The backends `initBackend` accepts. */
export const BACKEND_NAMES = ["auto", "tensorflow", "webgpu", "wasm-blas", "wasm", "cpu"] as const;
export type BackendName = typeof BACKEND_NAMES[number];
