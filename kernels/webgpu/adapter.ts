/** The GPU adapter this process can get through WebGPU, described for choosing a backend and for manifests. */
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

/**
 * The adapter tfjs-backend-webgpu would take (high-performance), or why there is none: no WebGPU in
 * this runtime, or no adapter (no GPU driver, and no Mesa software driver either).
 */
export async function probeAdapter(): Promise<AdapterSummary | { missing: string }> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { missing: "this runtime has no navigator.gpu (WebGPU)" };
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) {
      return {
        missing: "WebGPU found no adapter: no GPU driver (Vulkan or Metal), and no software one " +
          "(Debian: apt-get install mesa-vulkan-drivers libvulkan1, or libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1)",
      };
    }
    return describeAdapter(adapter);
  } catch (e) {
    return { missing: `WebGPU's requestAdapter failed: ${(e as Error).message.split("\n")[0]}` };
  }
}
