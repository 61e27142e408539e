/** Backend start-up: picks the TensorFlow.js backend and plugs its kernels (kernels/) into the model ops. */
export { blasLibrary, initBackend } from "./init.ts";
export { BACKEND_NAMES, type BackendName } from "./names.ts";
export { wasmAccelerator } from "./wasm.ts";
export { webgpuAccelerator } from "./webgpu.ts";
