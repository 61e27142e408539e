/**
 * `deno task reproduce` end to end with the comparison designs, as subprocesses in temp folders:
 * - the smoke profile with both designs (equal tokens + dense head, matched FLOPs + sparse head) and the
 *   random-init references: every design's runs evaluated, partners matched on their design's budget
 *   (a headless decoder with its LM fine-tune counted), the random-init rows at fraction 0;
 * - a user corpus (.txt folder and .jsonl.gz) with a given GPT-2 style tokenizer.json, from a profile that
 *   names them by paths relative to itself: tokenized with that tokenizer, hashed into the manifest.
 * Needs the evaluation data ($HEADLESS_BENCH_DATA or ../shared/data); ignored without it.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { gzipSync } from "fflate";
import { RECORD_FILE } from "../artifacts/record.ts";
import { DATA_CACHE_ENV } from "../data/cache.ts";
import { parseResultsCsv, type ResultRow } from "../results/rows.ts";
import { exists, sha256, sha256File } from "../util/fs.ts";
import { REPO_ROOT, SHARED_DATA_DIR } from "../util/paths.ts";
import { gpt2StyleJson } from "./hf_fixtures.ts";

/** The evaluation data: the cache $HEADLESS_BENCH_DATA names, else ../shared/data. */
const DATA = Deno.env.get(DATA_CACHE_ENV) ?? SHARED_DATA_DIR;
const ignore = !(await exists(join(DATA, "glue", "RTE", "train.tsv")));
const SMOKE = JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "profiles", "smoke.json")));

async function reproduce(profile: string, out: string, ...sets: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_ROOT, "tasks", "reproduce.ts"), "--profile", profile, "--out", out, "--quiet"]
      .concat(sets.flatMap((s) => ["--set", s])),
    cwd: REPO_ROOT,
    env: { [DATA_CACHE_ENV]: DATA },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assertEquals(code, 0, text);
  return text;
}

/** The artifact record of the one finished stage folder of `kind` whose name starts with `label-`. */
async function record(out: string, kind: string, label: string): Promise<{ spec: unknown; details: unknown }> {
  for await (const e of Deno.readDir(join(out, "stages", kind))) {
    if (e.name.startsWith(`${label}-`) && !e.name.endsWith(".partial") && /^[0-9a-f]{16}$/.test(e.name.slice(-16))) {
      return JSON.parse(await Deno.readTextFile(join(out, "stages", kind, e.name, RECORD_FILE)));
    }
  }
  throw new Error(`no ${kind} stage ${label}`);
}

Deno.test({
  name: "smoke with both designs and random-init: every design's runs evaluated, partners on equal budgets",
  ignore,
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "reproduce-designs-" });
    const text = await reproduce(
      "smoke",
      out,
      "multilingual=null",
      "blimp=null",
      "bpb=null",
      'pretrain.designs=[{"budget":"tokens","head":"dense"},{"budget":"flops","head":"sparse"}]',
      "pretrain.randomInit=true",
    );
    // tokenize; 2 designs x 4 runs, each with 2 fractions x 1 evaluation; 2 random-init models and their
    // evaluation; the matched-FLOPs softmax decoder trains the model the equal-tokens one does (its dense and
    // sparse heads cost the same), so it is trained once and its 2 evaluations are relabelled.
    assertStringIncludes(text, "28 stages ran");
    assertStringIncludes(text, "decoder-softmax-s0 (= decoder-softmax-s0-tokens-dense)");
    const rows = parseResultsCsv(await Deno.readTextFile(join(out, "results.csv")), "results.csv");
    const find = (design: string, arch: string, objective: string, task: string, fraction = 1) =>
      rows.find((r) =>
        (r.design ?? "") === design && r.arch === arch && r.objective === objective && r.task === task &&
        r.fraction === fraction
      ) ?? assert(false, `no row ${design} ${arch} ${objective} ${task} ${fraction}`) as never;
    for (const design of ["tokens-dense", ""]) {
      for (const fraction of [0.5, 1]) {
        for (const o of ["softmax", "cwt"]) {
          find(design, "encoder", o, "rte", fraction);
          find(design, "decoder", o, "lambada_openai", fraction);
        }
        find(design, "decoder", "cwt", "lambada_openai_lmft", fraction);
      }
    }
    const enc = SMOKE.pretrain.encoder;
    const step = enc.batch * enc.seqLen;
    const close = (a: ResultRow, b: ResultRow, key: "tokens" | "flops", within: number) =>
      assert(Math.abs(a[key] - b[key]) <= within, `${key}: ${a[key]} vs ${b[key]} (within ${within})`);
    // Equal tokens: the encoders exactly (12 steps each); headless decoder + LM fine-tune within a step.
    assertEquals(find("tokens-dense", "encoder", "cwt", "rte").tokens, enc.budgetSoftmaxTokens);
    assertEquals(find("tokens-dense", "encoder", "softmax", "rte").tokens, enc.budgetSoftmaxTokens);
    close(
      find("tokens-dense", "decoder", "cwt", "lambada_openai_lmft"),
      find("tokens-dense", "decoder", "softmax", "lambada_openai"),
      "tokens",
      step,
    );
    // Matched FLOPs: within one step of either run.
    const softmax = find("", "encoder", "softmax", "rte");
    close(find("", "encoder", "cwt", "rte"), softmax, "flops", softmax.flops / 12);
    const vanilla = find("", "decoder", "softmax", "lambada_openai");
    close(find("", "decoder", "cwt", "lambada_openai_lmft"), vanilla, "flops", vanilla.flops / 12);
    // The shared decoder's rows are the equal-tokens run's, filed under the matched-FLOPs design.
    for (const fraction of [0.5, 1]) {
      const own = find("tokens-dense", "decoder", "softmax", "lambada_openai", fraction);
      const shared = find("", "decoder", "softmax", "lambada_openai", fraction);
      assertEquals([shared.value, shared.tokens, shared.flops], [own.value, own.tokens, own.flops]);
      assertEquals(shared.details?.same_training_as, "tokens-dense");
      assertEquals(own.details?.same_training_as, undefined);
    }
    assert(
      !(await exists(join(out, "stages", "pretrain"))) ||
        ![...Deno.readDirSync(join(out, "stages", "pretrain"))].some((e) =>
          /^decoder-softmax-s0-[0-9a-f]{16}$/.test(e.name)
        ),
    );
    // The dense head costs the softmax encoder more FLOPs for the same tokens.
    assert(find("tokens-dense", "encoder", "softmax", "rte").flops > softmax.flops);
    // Random init: fraction 0, no compute, scored by the same stages.
    for (const [arch, task] of [["encoder", "rte"], ["decoder", "lambada_openai"]]) {
      const r = find("", arch, "random-init", task, 0);
      assertEquals([r.flops, r.tokens], [0, 0]);
    }
    const dense = await record(out, "pretrain", "encoder-softmax-s0-tokens-dense") as {
      spec: { head: string; design: string; budgetTokens: number };
      details: { budget: unknown };
    };
    assertEquals([dense.spec.head, dense.spec.design, dense.spec.budgetTokens], ["dense", "tokens-dense", 6144]);
    assertEquals(dense.details.budget, { mode: "tokens", amount: 6144 });
    await Deno.remove(out, { recursive: true });
  },
});

Deno.test({
  name: "a user corpus (.txt folder, .jsonl.gz) and a given GPT-2 style tokenizer.json, named by a profile, end to end",
  ignore,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "user-corpus-" });
    const words = ["the", "model", "learns", "without", "predicting", "tokens", "and", "a", "head", "ties"];
    const sentence = (i: number) =>
      Array.from({ length: 40 }, (_, k) => words[(i * 7 + k * k) % words.length]).join(" ") + ".";
    await Deno.mkdir(join(dir, "data", "texts"), { recursive: true });
    for (let i = 0; i < 60; i++) await Deno.writeTextFile(join(dir, "data", "texts", `doc${i}.txt`), sentence(i));
    const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify({ text: sentence(100 + i) })).join("\n");
    await Deno.writeFile(join(dir, "data", "more.jsonl.gz"), gzipSync(new TextEncoder().encode(lines)));
    const tokenizerJson = gpt2StyleJson([sentence(1), sentence(2), sentence(3), ...words], 300);
    await Deno.writeTextFile(join(dir, "data", "tokenizer.json"), tokenizerJson);
    const vocabSize = Object.keys(JSON.parse(tokenizerJson).model.vocab).length;
    const profile = {
      ...SMOKE,
      name: "user-corpus",
      corpus: { files: ["data/texts", "data/more.jsonl.gz"], maxDocuments: null },
      tokenizer: { vocabSize, seed: 0, validFraction: 0.1, maxTrainBytes: null, file: "data/tokenizer.json" },
      pretrain: { ...SMOKE.pretrain, encoder: null, fractions: [1], decoder: { ...SMOKE.pretrain.decoder } },
      glue: null,
      multilingual: null,
      lambada: { ...SMOKE.lambada, limit: 10, lmSteps: 1 },
      blimp: null,
    };
    profile.pretrain.decoder.budgetSoftmaxTokens = 2048;
    await Deno.writeTextFile(join(dir, "profile.json"), JSON.stringify(profile, null, 2));
    const out = join(dir, "out");
    await reproduce(join(dir, "profile.json"), out);
    const manifest = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
    assertEquals(manifest.corpus.name, "files");
    assertEquals(manifest.corpus.files.length, 61);
    const gz = manifest.corpus.files.find((f: { path: string }) => f.path.endsWith("more.jsonl.gz"));
    assertEquals(gz.sha256, await sha256File(join(dir, "data", "more.jsonl.gz")));
    assertEquals(manifest.corpus.givenTokenizer.sha256, sha256(tokenizerJson));
    // The tokenizer the runs used is the given one, byte for byte.
    assertEquals(await sha256File(join(out, manifest.tokenizer.file)), sha256(tokenizerJson));
    const rows = parseResultsCsv(await Deno.readTextFile(join(out, "results.csv")), "results.csv");
    assertEquals(
      new Set(rows.map((r) => `${r.objective}/${r.task}`)),
      // Bits per byte of the user corpus's valid split through the given tokenizer, and the unigram reference's.
      new Set([
        "softmax/lambada_openai",
        "cwt/lambada_openai",
        "cwt/lambada_openai_lmft",
        "softmax/bpb",
        "cwt/bpb",
        "cwt/bpb_lmft",
        "unigram/bpb",
      ]),
    );
    await Deno.remove(dir, { recursive: true });
  },
});
