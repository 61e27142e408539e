/**
 * `deno task reproduce --profile smoke` end to end, as a subprocess in a temp folder: the report files
 * exist; the same command again runs no stage; one changed setting reruns only the stages that depend
 * on it; and a run SIGKILLed in the middle finishes when started again without redoing finished stages
 * (the interrupted pretraining resumes from its checkpoint; train/loop.ts's own tests show a resumed run
 * ends bit-identical).
 * Needs the evaluation data (../shared/data); ignored without it.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { type ArtifactRecord, RECORD_FILE } from "../artifacts/record.ts";
import { formatProgress, Progress } from "../pipeline/progress.ts";
import { readStageEvents, type StageEvent } from "../artifacts/stage_events.ts";
import { parseResultsCsv } from "../results/rows.ts";
import { exists, sha256File } from "../util/fs.ts";
import { REPO_ROOT, SHARED_DATA_DIR } from "../util/paths.ts";
import { probeWebGpu } from "../kernels/webgpu/proxy_backend.ts";

const ignore = !(await exists(SHARED_DATA_DIR));

/** Starts `tasks/reproduce.ts` with the smoke profile on `out`. */
function reproduce(out: string, ...extra: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(REPO_ROOT, "tasks", "reproduce.ts"),
      "--profile",
      "smoke",
      "--out",
      out,
      "--quiet",
      ...extra,
    ],
    cwd: REPO_ROOT,
    // OPENBLAS_NUM_THREADS would override the profile's threads (the test runner sets it to 1): blank it.
    env: { HEADLESS_BENCH_DATA: SHARED_DATA_DIR, OPENBLAS_NUM_THREADS: "" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function run(out: string, ...extra: string[]): Promise<string> {
  const { code, stdout, stderr } = await reproduce(out, ...extra).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assertEquals(code, 0, text);
  return text;
}

/** The events of the newest invocation in stages.jsonl. */
async function lastInvocation(out: string): Promise<StageEvent[]> {
  const events = await readStageEvents(out);
  const last = events.at(-1)!.invocation;
  return events.filter((e) => e.invocation === last);
}

const ids = (events: StageEvent[], kind: StageEvent["event"]) =>
  events.filter((e) => e.event === kind).map((e) => e.id).sort();

/** The record of every finished stage folder, by kind, folder name and key. */
async function stageRecords(out: string): Promise<Map<string, { dir: string; record: ArtifactRecord }>> {
  const found = new Map<string, { dir: string; record: ArtifactRecord }>();
  for await (const kind of Deno.readDir(join(out, "stages"))) {
    for await (const e of Deno.readDir(join(out, "stages", kind.name))) {
      const dir = join(out, "stages", kind.name, e.name);
      if (e.name.endsWith(".partial")) continue;
      const record = JSON.parse(await Deno.readTextFile(join(dir, RECORD_FILE))) as ArtifactRecord;
      found.set(`${kind.name}/${e.name}@${record.key}`, { dir, record });
    }
  }
  return found;
}

/** Pids of live processes whose command line mentions `text` (a killed run's workers, say). */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    const cmdline = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
    if (cmdline.includes(text)) pids.push(Number(e.name));
  }
  return pids;
}

Deno.test({
  name:
    "smoke profile end to end: report files, a rerun skips everything, one changed setting reruns its dependents only",
  ignore,
  sanitizeResources: false,
  async fn() {
    const smokeOut = await Deno.makeTempDir({ prefix: "reproduce-smoke-" });
    // Two threads per stage here; the rerun below, on the profile's default one thread, must find every stage done:
    // the thread count is not part of any key.
    const first = await run(smokeOut, "--set", "threads=2");
    assertStringIncludes(first, "28 stages ran");
    const threads = Math.min(2, navigator.hardwareConcurrency);
    assertStringIncludes(first, `${threads} thread`);
    for (const f of ["results.csv", "timings.csv", "results.json", "summary.csv", "report.md", "manifest.json"]) {
      assert(await exists(join(smokeOut, f)), `${f} written`);
    }
    const firstResults = await Deno.readTextFile(join(smokeOut, "results.csv"));
    const rows = parseResultsCsv(firstResults, "results.csv");
    const seen = new Set(
      rows.map((r) => `${r.arch}/${r.objective}/${[r.task, r.setup, r.lang].join(" ").trim()}/${r.fraction}`),
    );
    for (const f of [0.5, 1]) {
      for (const o of ["softmax", "cwt"]) {
        assert(seen.has(`encoder/${o}/rte/${f}`), `rte rows for ${o} at ${f}`);
        assert(seen.has(`decoder/${o}/lambada_openai/${f}`), `lambada rows for ${o} at ${f}`);
      }
      assert(seen.has(`decoder/cwt/lambada_openai_lmft/${f}`), `LM-fine-tuned lambada at ${f}`);
      // BLiMP (and bits per byte for decoders) at the last checkpoint only, as the profile asks.
      for (const o of ["softmax", "cwt"]) {
        for (const arch of ["encoder", "decoder"]) assertEquals(seen.has(`${arch}/${o}/blimp/${f}`), f === 1);
        assertEquals(seen.has(`decoder/${o}/bpb/${f}`), f === 1);
      }
      assertEquals(seen.has(`decoder/cwt/blimp_lmft/${f}`), f === 1);
      assertEquals(seen.has(`decoder/cwt/bpb_lmft/${f}`), f === 1);
      // The multilingual encoders: both XNLI setups on both languages.
      for (const o of ["softmax", "cwt"]) {
        for (const t of ["xnli en ar", "xnli en en", "xnli target ar", "xnli target en"]) {
          assert(seen.has(`encoder/${o}/${t}/${f}`), `${t} rows for ${o} at ${f}`);
        }
      }
    }
    // Matched FLOPs: per architecture, both objectives' final checkpoints spent the same budget (within one step).
    for (const arch of ["encoder", "decoder"]) {
      const finals = rows.filter((r) =>
        r.arch === arch && r.fraction === 1 && (r.task === "rte" || r.task === "lambada_openai")
      );
      const flops = ["softmax", "cwt"].map((o) => finals.find((r) => r.objective === o)!.flops);
      assert(Math.abs(flops[0] - flops[1]) / flops[0] < 0.2, `${arch} FLOPs ${flops}`);
    }
    // The majority-class reference of RTE and of XNLI, and examples.csv beside each evaluation's results.
    assert(rows.some((r) => r.objective === "majority" && r.task === "rte" && r.fraction === 0));
    assert(rows.some((r) => r.objective === "majority" && r.task === "xnli" && r.setup === "target"));
    const report = await Deno.readTextFile(join(smokeOut, "report.md"));
    assert(report.indexOf("## Findings") < report.indexOf("Table 1 shape"));
    assertStringIncludes(report, "Table 3 shape");
    assertStringIncludes(report, "Compute to match");
    assertStringIncludes(report, "Multilingual pretraining corpus, per language");
    assertStringIncludes(report, "Table 5 shape: XNLI dev accuracy");
    const manifest = JSON.parse(await Deno.readTextFile(join(smokeOut, "manifest.json")));
    assertEquals(manifest.profile.name, "smoke");
    assertEquals(manifest.machine.cores, navigator.hardwareConcurrency);
    assert(manifest.machine.memoryBytes > 0);
    assertEquals(manifest.tokenizer.sha256, await sha256File(join(smokeOut, manifest.tokenizer.file)));
    assertEquals(
      manifest.data.files["glue/RTE/train.tsv"],
      await sha256File(join(SHARED_DATA_DIR, "glue/RTE/train.tsv")),
    );
    assert(manifest.startedAt < manifest.endedAt);
    assertEquals(manifest.multilingual.languages.map((l: { lang: string }) => l.lang), ["ar", "en"]);
    assert(manifest.multilingual.languages.every((l: { tokens: number }) => l.tokens > 0));
    assertEquals(
      manifest.multilingual.tokenizer.sha256,
      await sha256File(join(smokeOut, manifest.multilingual.tokenizer.file)),
    );
    assertEquals(
      manifest.data.files["xnli/ar/train.tsv"],
      await sha256File(join(SHARED_DATA_DIR, "xnli/ar/train.tsv")),
    );
    assertEquals(manifest.stages.ran.length, 28);
    const before = await stageRecords(smokeOut);
    assertEquals(before.size, 28);
    // Each pretraining worker ran on the profile's threads (OpenBLAS's count; 0 where it is not loaded).
    const pretrained = [...before.values()].filter((s) => s.record.kind === "pretrain");
    assert(pretrained.length > 0);
    for (const { dir, record } of pretrained) {
      const details = record.details as { environment: { kernels: { blas: { enabled: boolean; threads: number } } } };
      const blas = details.environment.kernels.blas;
      assertEquals(blas.threads, blas.enabled ? threads : 0, dir);
    }

    // The same command again: nothing runs, every stage folder is untouched.
    const t0 = performance.now();
    const again = await run(smokeOut);
    assert(performance.now() - t0 < 60_000, "a rerun takes under a minute");
    assertStringIncludes(again, "0 stages ran");
    const second = await lastInvocation(smokeOut);
    assertEquals(ids(second, "skip").length, 28);
    assertEquals(ids(second, "start"), []);
    assertEquals(await stageRecords(smokeOut), before);

    // One GLUE setting changed: the four RTE stages run again, nothing else.
    await run(smokeOut, "--set", "glue.epochs=2");
    const third = await lastInvocation(smokeOut);
    assertEquals(ids(third, "start"), [
      "glue/encoder-cwt-s0-f0.5-rte",
      "glue/encoder-cwt-s0-f1-rte",
      "glue/encoder-softmax-s0-f0.5-rte",
      "glue/encoder-softmax-s0-f1-rte",
    ]);
    assertEquals(ids(third, "skip").length, 24);
    const secondResults = await Deno.readTextFile(join(smokeOut, "results.csv"));
    const epochs = parseResultsCsv(secondResults, "results.csv")
      .filter((r) => r.task === "rte" && r.policy === "last-epoch" && r.objective !== "majority");
    assertEquals(epochs.length, 4);
    // results.csv holds no wall-clock and is written sorted: only the rows whose values changed (RTE's) differ.
    const [lines1, lines2] = [firstResults, secondResults].map((t) => new Set(t.split("\n")));
    const changed = [...lines2].filter((l) => !lines1.has(l));
    assert(changed.length > 0 && changed.every((l) => l.includes(",rte,")), changed.join("\n"));
    assertEquals(firstResults.split("\n").length, secondResults.split("\n").length);
    // A decoder setting: only the decoder's evaluation stages (and the BLiMP and bits-per-byte stages that
    // read the LM fine-tunes the changed LAMBADA stage keeps).
    await run(smokeOut, "--set", "lambada.limit=30");
    assertEquals(ids(await lastInvocation(smokeOut), "start").filter((id) => !id.endsWith("lambada")), [
      "blimp/decoder-cwt-s0-f1-blimp",
      "bpb/decoder-cwt-s0-f1-bpb",
    ]);
    assertEquals(ids(await lastInvocation(smokeOut), "start").length, 6);
    await Deno.remove(smokeOut, { recursive: true });
  },
});

Deno.test({
  name: "a reproduce run SIGKILLed mid-way finishes when started again, redoing no finished stage",
  ignore,
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "reproduce-kill-" });
    // Encoders only, with a budget long enough to be caught mid-run.
    const flags = [
      "--set",
      "pretrain.decoder=null",
      "--set",
      "lambada=null",
      "--set",
      "bpb=null",
      "--set",
      "multilingual=null",
      "--set",
      "pretrain.encoder.budgetSoftmaxTokens=40000",
      "--set",
      "pretrain.encoder.ckptEvery=2",
    ];
    const child = reproduce(out, ...flags);
    const drain = Promise.all([child.stdout.pipeTo(new WritableStream()), child.stderr.pipeTo(new WritableStream())]);
    // Kill it while the second pretraining run is under way (after the first run's stages finished).
    const target = "pretrain/encoder-cwt-s0";
    let partial = "";
    for (let i = 0; i < 1200 && partial === ""; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const events = await readStageEvents(out);
      const started = events.find((e) => e.id === target && e.event === "start");
      if (started) {
        const dir = join(out, "stages", "pretrain", `encoder-cwt-s0-${started.key}.partial`);
        const ckpts = join(dir, "ckpt");
        if ((await exists(ckpts)) && [...Deno.readDirSync(ckpts)].length > 0) partial = dir;
      }
    }
    assert(partial !== "", "the second pretraining run started and wrote a checkpoint");
    assert((await processesMentioning(partial)).length > 0, "its worker process runs");
    child.kill("SIGKILL");
    await child.status;
    await drain;
    // Its worker notices the parent is gone and ends itself (it checks every 0.5 s).
    for (let i = 0; i < 40 && (await processesMentioning(partial)).length; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assertEquals(await processesMentioning(partial), [], "the killed run's worker ended with it");
    const beforeKill = await readStageEvents(out);
    const finished = beforeKill.filter((e) => e.event === "done").map((e) => e.id);
    assert(finished.includes("pretrain/encoder-softmax-s0"), `finished before the kill: ${finished}`);
    assert(!finished.includes(target));

    const text = await run(out, ...flags);
    const restart = await lastInvocation(out);
    assertEquals(ids(restart, "skip"), [...finished].sort(), "finished stages are skipped");
    for (const id of finished) assert(!ids(restart, "start").includes(id), `${id} not redone`);
    assertEquals(ids(restart, "resume"), [target], "the interrupted pretraining resumed in its partial folder");
    assertEquals(await processesMentioning(out), [], "no worker of the killed run is left");
    for (const f of ["results.csv", "summary.csv", "report.md", "manifest.json"]) assert(await exists(join(out, f)));
    const record = (await stageRecords(out)).values().find((s) =>
      s.dir.includes("encoder-cwt-s0-") && s.record.kind === "pretrain"
    )!
      .record;
    assert(record.resumes >= 1, "the pretraining run records its resume");
    assert(text.includes("stages ran"));
    await Deno.remove(out, { recursive: true });
  },
});

/** Runs reproduce with `args` and no data env; returns exit code and output. */
async function runPlain(...args: string[]): Promise<{ code: number; text: string }> {
  const env = { ...Deno.env.toObject() };
  delete env.HEADLESS_BENCH_DATA;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_ROOT, "tasks", "reproduce.ts"), ...args],
    cwd: REPO_ROOT,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, text: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

Deno.test("--offline with a data cache lacking files: exit 2 with the exact `deno task data` command, before any stage runs", async () => {
  const cache = await Deno.makeTempDir();
  const out = await Deno.makeTempDir();
  const { code, text } = await runPlain("--profile", "smoke", "--out", out, "--cache-dir", cache, "--offline");
  assertEquals(code, 2, text);
  assertStringIncludes(text, "--offline: nothing fetched");
  assertStringIncludes(text, "glue/RTE/train.tsv");
  assertStringIncludes(text, "lambada/lambada_test.jsonl");
  assertStringIncludes(text, "HEADLESS_BENCH_DATA is not set");
  assertStringIncludes(text, `deno task data --cache-dir ${cache} --only RTE,lambada`);
  assertEquals(await exists(join(out, "stages")), false);
});

/** A hardware WebGPU adapter here: the paper profile's requirement is met, so it would start for real. */
const gpuProbe = await probeWebGpu();
const hardwareGpu = "adapter" in gpuProbe && !gpuProbe.adapter.software;

Deno.test({
  name: "the paper profile prints its plan and FLOP budget, then refuses to run without the webgpu backend" +
    (hardwareGpu ? " (skipped: this machine has a GPU, so it would run)" : ""),
  ignore: hardwareGpu,
  fn: async () => {
    const out = await Deno.makeTempDir();
    const { code, text } = await runPlain("--profile", "paper", "--out", out);
    assertEquals(code, 2, text);
    assertStringIncludes(text, "bert-base-50k");
    assertStringIncludes(text, "pythia-70m");
    assertStringIncludes(text, "multilingual-encoder-cwt-s0");
    // The paper's design: equal tokens, the CWT runs cheaper per token, the headless decoder's LM fine-tune inside.
    assertStringIncludes(text, "total pretraining budget: 1.831e+20 FLOPs");
    assertStringIncludes(text, "needs the webgpu backend");
    assertStringIncludes(text, "--any-backend");
    assertEquals(await exists(join(out, "stages")), false);
  },
});

Deno.test("progress: the ETA rescales each stage kind by its own measured speed", () => {
  const p = new Progress([{ kind: "a", estimateSeconds: 10 }, { kind: "a", estimateSeconds: 10 }, {
    kind: "b",
    estimateSeconds: 20,
  }], true);
  assertEquals(p.eta(), 40);
  p.start(1, "a", "first", 10);
  p.finish(); // took ~0 s of its 10: the other "a" stage is scaled to the floor (5%), "b" keeps its estimate
  assert(Math.abs(p.eta() - (10 * 0.05 + 20)) < 1e-6, `eta ${p.eta()}`);
  p.skip("b", 20);
  assert(Math.abs(p.eta() - 0.5) < 1e-6);
  assertEquals(
    formatProgress({
      index: 3,
      total: 17,
      kind: "pretrain",
      run: "encoder-cwt-s0",
      stageFraction: 0.45,
      elapsedSeconds: 83,
      etaSeconds: 750,
    }),
    "[3/17] pretrain encoder-cwt-s0 45% | elapsed 1m23s | ETA 12m30s",
  );
});

Deno.test("progress: a running stage's reported fraction projects its own time and its kind's", async () => {
  const p = new Progress([{ kind: "a", estimateSeconds: 1 }, { kind: "a", estimateSeconds: 1 }], true);
  p.start(1, "a", "first", 1);
  await new Promise((r) => setTimeout(r, 200));
  p.update(0.5); // ~0.2 s for half: ~0.4 s projected, so the other "a" stage is expected to take ~0.4 s too
  const eta = p.eta();
  assert(eta > 0.3 && eta < 1.2, `eta ${eta}`);
});
