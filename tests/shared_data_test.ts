/**
 * The real files of ../shared/data through the loaders: every file MANIFEST.tsv lists under glue/,
 * lambada/ and xnli/ must load with the manifest's row count (lines, plus a last line without newline,
 * less the header, less the broken rows the loader skipped and reports). Ignored without the mirror.
 */
import { assertEquals } from "@std/assert";
import { join } from "node:path";
import { glueTasks } from "../data/glue.ts";
import { LAMBADA_PATH, loadLambada } from "../data/lambada.ts";
import { type LoadedExamples, loadExamples } from "../data/task_spec.ts";
import { loadXnli, type XnliSplit } from "../data/xnli.ts";
import { fillFromMirror } from "../data/download.ts";
import { exists } from "../util/fs.ts";
import { SHARED_DATA_DIR } from "../util/paths.ts";

const ignore = !(await exists(SHARED_DATA_DIR));

interface Row {
  path: string;
  bytes: number;
  lines: number;
}

async function manifest(): Promise<Row[]> {
  const text = await Deno.readTextFile(join(SHARED_DATA_DIR, "MANIFEST.tsv"));
  return text.trim().split("\n").slice(1).map((line) => {
    const [path, bytes, lines] = line.split("\t");
    return { path, bytes: Number(bytes), lines: Number(lines) };
  });
}

/** Loads one mirror file through the loader its path calls for; `header` says whether it has a header line. */
async function load(path: string): Promise<{ loaded: LoadedExamples; header: boolean }> {
  if (path === LAMBADA_PATH) {
    return {
      loaded: { examples: (await loadLambada(SHARED_DATA_DIR)).map((t) => ({ textA: t, label: 0 })), skipped: 0 },
      header: false,
    };
  }
  const xnli = /^xnli\/(\w+)\/(train|dev|test)\.tsv$/.exec(path);
  if (xnli) return { loaded: await loadXnli(xnli[1], xnli[2] as XnliSplit, SHARED_DATA_DIR), header: true };
  for (const spec of glueTasks()) {
    const split = Object.entries(spec.splits).find(([, file]) => file === path)?.[0];
    if (split) return { loaded: await loadExamples(spec, split, SHARED_DATA_DIR), header: spec.header };
  }
  throw new Error(`no loader for ${path}`);
}

Deno.test({
  name: "every glue/, lambada/ and xnli/ file of ../shared/data loads with the manifest's row count",
  ignore,
  async fn() {
    const rows = (await manifest()).filter((r) => /^(glue|lambada|xnli)\//.test(r.path));
    assertEquals(rows.length, 56);
    const report: string[] = [];
    for (const row of rows) {
      const { loaded, header } = await load(row.path);
      const bytes = await Deno.readFile(join(SHARED_DATA_DIR, row.path));
      assertEquals(bytes.length, row.bytes, row.path);
      const unterminated = bytes.at(-1) !== 0x0a ? 1 : 0; // wc -l does not count a last line without newline
      const expected = row.lines + unterminated - (header ? 1 : 0) - loaded.skipped;
      assertEquals(loaded.examples.length, expected, row.path);
      report.push(
        `${row.path.padEnd(28)} ${String(loaded.examples.length).padStart(6)}` +
          (loaded.skipped ? ` (${loaded.skipped} broken row skipped)` : ""),
      );
    }
    console.log(report.join("\n"));
  },
});

Deno.test({
  name: "hand-checked facts of the mirror: LAMBADA 5,153, CoLA dev 1,043, QQP's one broken row, XNLI balance",
  ignore,
  async fn() {
    assertEquals((await loadLambada(SHARED_DATA_DIR)).length, 5153);
    const task = (name: string) => glueTasks().find((t) => t.title === name)!;
    assertEquals((await loadExamples(task("CoLA"), "dev", SHARED_DATA_DIR)).examples.length, 1043);
    const qqp = await loadExamples(task("QQP"), "train", SHARED_DATA_DIR);
    assertEquals([qqp.examples.length, qqp.skipped], [19999, 1]);
    const counts = (labels: number[]) => labels.reduce((c, l) => (c[l]++, c), [0, 0, 0]);
    assertEquals(counts((await loadXnli("sw", "dev", SHARED_DATA_DIR)).examples.map((e) => e.label)), [830, 830, 830]);
    // train.tsv's labels are words (contradictory); they must come out in the same 0/1/2 order.
    assertEquals(counts((await loadXnli("en", "train", SHARED_DATA_DIR)).examples.map((e) => e.label)), [
      5100,
      4397,
      5504,
    ]);
    const stsb = (await loadExamples(task("STS-B"), "dev", SHARED_DATA_DIR)).examples;
    assertEquals([stsb[0].label, stsb[0].textA], [5, "A man with a hard hat is dancing."]);
  },
});

Deno.test({
  name: "--data-dir ../shared/data fills an empty cache, every file verified against MANIFEST.tsv",
  ignore,
  async fn() {
    const cache = await Deno.makeTempDir();
    try {
      const report = await fillFromMirror(SHARED_DATA_DIR, cache);
      assertEquals(report.failed, []);
      // 56 GLUE, LAMBADA and XNLI files and the 67 BLiMP paradigms.
      assertEquals(report.copied.filter((f) => !f.startsWith("blimp/")).length, 56);
      assertEquals(report.copied.filter((f) => f.startsWith("blimp/")).length, 67);
      assertEquals(report.notInMirror, [
        "glue/MNLI/train.tsv",
        "glue/MNLI/dev_matched.tsv",
        "glue/MNLI/dev_mismatched.tsv",
        "glue/QNLI/train.tsv",
      ]);
      assertEquals((await loadLambada(cache)).length, 5153);
    } finally {
      await Deno.remove(cache, { recursive: true });
    }
  },
});
