/**
 * Starts the TensorFlow.js backend and plugs its faster kernels into the model ops: the one place
 * that wires kernels/ into models/ (models/accelerator.ts's `installAccelerator`). `tensorflow` (native
 * libtensorflow through tfjs-node) is used only when its package happens to be installed next to the
 * repository: it is never a dependency, because its install script downloads libtensorflow, which
 * cannot be fetched on these machines.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { InputError } from "../util/errors.ts";
import { installAccelerator } from "../models/accelerator.ts";
import { blasMatMulStatus, disableBlasMatMul, enableBlasMatMul } from "../kernels/blas_backend.ts";
import { BLAS_LIB_ENV, loadOpenBlas, useOpenBlasFile } from "../kernels/openblas.ts";
import { fetchOpenBlas } from "../kernels/openblas_fetch.ts";
import { installWasmKernelPatches } from "../kernels/wasm_patches.ts";
import { probeWebGpu, startWebGpu, WEBGPU } from "../kernels/webgpu/proxy_backend.ts";
import { BACKEND_NAMES, type BackendName } from "./names.ts";
import { wasmAccelerator } from "./wasm.ts";
import { webgpuAccelerator } from "./webgpu.ts";

/** Native packages tried in order; the GPU build first. */
const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];

/**
 * Resolves a native package through Node resolution from this folder upwards (node_modules), so the
 * specifier resolves only when the package is actually there; Deno never tries to download it.
 */
function resolveInstalled(name: string): string | undefined {
  try {
    return createRequire(import.meta.url).resolve(name);
  } catch {
    return undefined;
  }
}

/** Loads tfjs-node(-gpu) if installed; returns why not otherwise. */
async function loadNative(): Promise<{ ok: true } | { ok: false; why: string }> {
  const problems: string[] = [];
  for (const name of NATIVE_PACKAGES) {
    const path = resolveInstalled(name);
    if (!path) {
      problems.push(`${name}: not installed`);
      continue;
    }
    try {
      await import(pathToFileURL(path).href);
      if (tf.findBackend("tensorflow")) return { ok: true };
      problems.push(`${name}: loaded but registered no "tensorflow" backend`);
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  return { ok: false, why: problems.join("; ") };
}

/**
 * Makes `name` the active tfjs backend, installs its accelerator, and returns the name actually in use
 * ("wasm-blas" when the wasm backend's matrix products run on OpenBLAS). `auto` = the native
 * TensorFlow backend when importable, else `webgpu` when WebGPU finds a hardware adapter (a GPU, not
 * a software rasterizer such as Mesa's llvmpipe: `--backend webgpu` takes that one too), else wasm with
 * OpenBLAS products when the library is present, else plain wasm.
 */
export async function initBackend(name: BackendName | string = "auto"): Promise<string> {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new InputError(`unknown backend ${JSON.stringify(name)}; expected one of ${BACKEND_NAMES.join(", ")}`);
  }
  let target = name === "wasm-blas" ? "wasm" : name;
  if (name === "tensorflow" || name === "auto") {
    const native = tf.findBackend("tensorflow") ? { ok: true as const } : await loadNative();
    if (native.ok) target = "tensorflow";
    else if (name === "auto") target = (await hardwareWebGpu()) ? WEBGPU : "wasm";
    else {
      throw new InputError(
        `the "tensorflow" backend is unavailable (${native.why}). @tensorflow/tfjs-node and ` +
          `tfjs-node-gpu are not dependencies of this project: their install script downloads ` +
          `libtensorflow from Google's storage, which these machines cannot reach. Install one by hand ` +
          `next to the repository where that works, or use --backend wasm (the default for auto).`,
      );
    }
  }
  if (target === WEBGPU) {
    const gpu = await startWebGpu();
    if ("missing" in gpu) throw new InputError(`--backend webgpu: ${gpu.missing}; use --backend wasm`);
  }
  if (!(await tf.setBackend(target))) throw new Error(`tfjs could not initialise the ${target} backend`);
  await tf.ready();
  if (target !== "wasm") {
    installAccelerator(target === WEBGPU ? webgpuAccelerator : null);
    return tf.getBackend();
  }
  installWasmKernelPatches();
  installAccelerator(wasmAccelerator);
  if (name === "wasm") disableBlasMatMul();
  else {
    if (!loadOpenBlas()) await fetchMissingOpenBlas();
    if (enableBlasMatMul()) return "wasm-blas";
    if (name === "wasm-blas") {
      throw new InputError(
        `--backend wasm-blas: OpenBLAS products unavailable (${blasMatMulStatus().reason}); ` +
          `install Debian's libopenblas0-pthread or use --backend wasm`,
      );
    }
  }
  return "wasm";
}

/**
 * Where no OpenBLAS loads (and HEADLESS_BLAS_LIB names none), Debian's package fetched into the user
 * cache without root (kernels/openblas_fetch.ts; once, then found there) and bound; one line when that
 * cannot be done, and training goes on with the wasm products.
 */
async function fetchMissingOpenBlas(): Promise<void> {
  if (Deno.env.get(BLAS_LIB_ENV)) return;
  const got = await fetchOpenBlas();
  if ("missing" in got) {
    console.error(`note: OpenBLAS is not installed and could not be fetched (${got.missing}); using wasm products`);
    return;
  }
  useOpenBlasFile(got.library);
  const fetched = got.packages.filter((p) => p.status === "fetched");
  if (fetched.length) {
    console.error(
      `OpenBLAS fetched into the user cache: ${fetched.map((p) => `${p.package} ${p.version}`).join(", ")}`,
    );
  }
}

/** The OpenBLAS file the wasm-blas backend's products run on ("" when they do not). */
export function blasLibrary(): string {
  return blasMatMulStatus().enabled ? blasMatMulStatus().library : "";
}

/** Whether WebGPU has a hardware adapter and the GPU worker starts on it (for `auto`). */
async function hardwareWebGpu(): Promise<boolean> {
  const probe = await probeWebGpu();
  if ("missing" in probe || probe.adapter.software) return false;
  const started = await startWebGpu();
  if ("missing" in started) console.error(`note: ${started.missing}; using wasm`);
  return !("missing" in started);
}
