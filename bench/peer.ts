/**
 * The PyTorch peer: runs ../shared/peers/torch_step.py (one AdamW pretraining step of the same
 * transformer, softmax head and CWT) with given shapes and reads its per-objective lines back.
 */
import { join } from "node:path";
import { REPO_ROOT } from "../util/paths.ts";
import { inheritedEnvWithoutDefaults } from "../kernels/env.ts";

/** The peer script, next to the shared data. */
export const PEER_SCRIPT: string = join(REPO_ROOT, "..", "shared", "peers", "torch_step.py");

/** How to get the peer's dependencies on Debian 12. */
export const PEER_INSTALL_HINT = "apt-get install -y python3-torch libopenblas0-pthread";

/** Shapes and settings of one peer run (flags of torch_step.py). */
export interface PeerShape {
  vocab: number;
  d: number;
  layers: number;
  heads: number;
  seq: number;
  batch: number;
  steps: number;
  threads: number;
}

/** Runs the script named in argv[1] as __main__ with a CPU clock in place of the wall clock. */
const CPU_CLOCK_SHIM =
  "import runpy, sys, time; time.perf_counter = time.process_time; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')";

/** Interpreters tried in order. */
const PYTHONS = ["python3", "/usr/bin/python3"];

/** One objective's result line. */
export interface PeerResult {
  objective: string;
  torchVersion: string;
  threads: number;
  medianMs: number;
  minMs: number;
  tokensPerSecond: number;
  loss: number;
}

/** `torch 1.13.0a0 threads=2 softmax: ms/step median=1710 min=1690 tokens/s=1198 loss=9.2` */
const LINE = /^torch (\S+) threads=(\d+) (\w+): ms\/step median=(\d+) min=(\d+) tokens\/s=(\d+) loss=([-\d.eE+naif]+)$/;

/** Parses the peer's stdout; lines that are not result lines are ignored. */
export function parsePeerOutput(text: string): PeerResult[] {
  const results: PeerResult[] = [];
  for (const line of text.split("\n")) {
    const m = LINE.exec(line.trim());
    if (!m) continue;
    results.push({
      torchVersion: m[1],
      threads: Number(m[2]),
      objective: m[3],
      medianMs: Number(m[4]),
      minMs: Number(m[5]),
      tokensPerSecond: Number(m[6]),
      loss: Number(m[7]),
    });
  }
  return results;
}

/**
 * Runs the peer with `shape`; returns its results, or `{ missing }` saying why it could not run
 * (no script, no python3, no torch: with the install command).
 */
export async function runPeer(
  shape: PeerShape,
  script = PEER_SCRIPT,
  clock: "wall" | "cpu" = "wall",
): Promise<{ results: PeerResult[] } | { missing: string }> {
  try {
    await Deno.stat(script);
  } catch {
    return { missing: `peer script ${script} not found` };
  }
  const flags = Object.entries(shape).flatMap(([k, v]) => [`--${k}`, String(v)]);
  // clock "cpu": the unchanged script, with time.perf_counter swapped for time.process_time (CPU
  // seconds of all the process's threads), so its ms/step and tokens/s are per CPU-second.
  const args = clock === "wall" ? [script, ...flags] : ["-c", CPU_CLOCK_SHIM, script, ...flags];
  // A pyenv or venv python3 first on PATH often lacks Debian's python3-torch: then try the system one.
  let out: Deno.CommandOutput | undefined;
  let stderr = "";
  const problems: string[] = [];
  for (const python of PYTHONS) {
    try {
      // Without the OpenBLAS / OpenMP settings our kernels put in this process's environment: the
      // peer's own OpenBLAS and OpenMP read the same variables.
      const env = inheritedEnvWithoutDefaults();
      out = await new Deno.Command(python, {
        args,
        stdout: "piped",
        stderr: "piped",
        ...(env ? { clearEnv: true, env } : {}),
      }).output();
    } catch (e) {
      problems.push(`${python} could not be run (${(e as Error).message})`);
      continue;
    }
    stderr = new TextDecoder().decode(out.stderr);
    if (out.success) break;
    const why = /No module named 'torch'/.test(stderr) ? "PyTorch is not installed" : stderr.trim().split("\n").at(-1);
    problems.push(`${python} ${script} failed: ${why}`);
    out = undefined;
  }
  if (!out) return { missing: `${problems.join("; ")}; ${PEER_INSTALL_HINT}` };
  const results = parsePeerOutput(new TextDecoder().decode(out.stdout));
  if (!results.length) return { missing: `${script} printed no result lines; stderr: ${stderr.trim().slice(-300)}` };
  return { results };
}
