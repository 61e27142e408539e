/** A WebGPU adapter, described for choosing a backend and for manifests. */
import type { AdapterSummary } from "./protocol.ts";

/** Software rasterizers: WebGPU on them is correct but slow (Mesa llvmpipe / lavapipe / softpipe, SwiftShader, WARP). */
const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|warp/i;

/** The adapter's description, limits and whether it is a software one. */
export function describeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const description = info.description ?? "";
  return {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description,
    software: info.isFallbackAdapter === true || SOFTWARE.test(description),
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
}
