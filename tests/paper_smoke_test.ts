/**
 * `deno task reproduce --profile paper-smoke` end to end on the webgpu backend (the paper profile's
 * plan shortened: its models at one tiny layer, every stage kind), as a subprocess in a temp folder:
 * every stage runs, every result row names webgpu, and the manifest records the adapter. Needs a
 * WebGPU adapter (Mesa's software one will do) and the shared data mirror; skipped, saying why, without.
 */
import { assert, assertEquals } from "@std/assert";
import { join } from "node:path";
import { parseResultsCsv } from "../results/rows.ts";
import { probeWebGpu } from "../kernels/webgpu/proxy_backend.ts";
import { exists } from "../util/fs.ts";
import { REPO_ROOT, SHARED_DATA_DIR } from "../util/paths.ts";

// As tests/reproduce_test.ts: the mirror beside the repository (CI's layout), not HEADLESS_BENCH_DATA.
const data = SHARED_DATA_DIR;
const probe = await probeWebGpu();
const why = "missing" in probe
  ? ` (skipped: ${probe.missing})`
  : !(await exists(data))
  ? " (skipped: no ../shared/data mirror beside the repository)"
  : "";

Deno.test({
  name: `paper-smoke profile end to end on webgpu: every stage kind runs, results and manifest name the backend${why}`,
  ignore: why !== "",
  // The GPU worker started by the probe above lives for the whole process.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const out = await Deno.makeTempDir({ prefix: "reproduce-paper-smoke-" });
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(REPO_ROOT, "tasks", "reproduce.ts"),
        "--profile",
        "paper-smoke",
        "--out",
        out,
        "--quiet",
        "--offline",
      ],
      cwd: REPO_ROOT,
      env: { HEADLESS_BENCH_DATA: data },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    assertEquals(code, 0, text);
    const rows = parseResultsCsv(await Deno.readTextFile(join(out, "results.csv")), "results.csv");
    const kinds = new Set(rows.map((r) => `${r.arch}/${r.objective}/${r.task.split("-")[0].split("/")[0]}`));
    for (
      const kind of [
        "encoder/softmax/rte",
        "encoder/cwt/rte",
        "decoder/softmax/lambada_openai",
        "decoder/cwt/lambada_openai",
        "encoder/cwt/xnli",
      ]
    ) assert(kinds.has(kind), `no ${kind} result in ${[...kinds]}`);
    assert(rows.every((r) => r.backend === "webgpu"), "every row must name the webgpu backend");
    const manifest = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
    assertEquals(manifest.backend, "webgpu");
    assertEquals(manifest.kernels.webgpu.adapter, "adapter" in probe ? probe.adapter : null);
    await Deno.remove(out, { recursive: true });
  },
});
