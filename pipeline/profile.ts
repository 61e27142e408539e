/**
 * Reproduction profiles: one JSON file per profile in profiles/ (smoke, ci, nightly, paper), read and
 * checked here. Every key is checked; an unknown or malformed key is an InputError naming the file, the
 * key's dotted path and its line. A profile is data: adding one needs no code.
 */
import { join } from "node:path";
import { blimpTask } from "../data/blimp.ts";
import { FILES_CORPUS } from "../data/corpora.ts";
import { CORPUS_NAMES } from "../data/corpus_by_name.ts";
import { LANGUAGE_SOURCES } from "../data/multilingual/sources.ts";
import { GLUE_TASK_NAMES } from "../data/glue.ts";
import { XNLI_LANGUAGES } from "../data/xnli.ts";
import { InputError } from "../util/errors.ts";
import { jsonErrorLine, lineOfPath } from "../util/json_lines.ts";
import { REPO_ROOT } from "../util/paths.ts";
import { BACKEND_NAMES } from "../backends/names.ts";
import { HEAD_MODES, type Objective, OBJECTIVES } from "../models/objective_names.ts";
import { BUDGET_MODES } from "../train/budget.ts";
import type { PretrainOptions } from "../train/loop.ts";
import { DEFAULT_DESIGNS, designName, type DesignProfile } from "../train/designs.ts";
import { ProfileKeyError } from "./profile_error.ts";
import { plannedRuns } from "./runs.ts";

/** The folder holding the named profiles. */
export const PROFILE_DIR: string = join(REPO_ROOT, "profiles");

/** The profile `deno task reproduce` runs with no --profile. */
export const DEFAULT_PROFILE = "ci";

/**
 * Pretraining settings of one architecture. Exactly one of budgetFlops / budgetSoftmaxTokens is set: the
 * compute of the FLOP and token designs. budgetSeconds is the budget of a seconds design.
 */
export interface ArchProfile extends
  Pick<
    PretrainOptions,
    | "batch"
    | "accum"
    | "seqLen"
    | "lr"
    | "warmupFrac"
    | "schedule"
    | "lrFloorFrac"
    | "weightDecay"
    | "beta2"
    | "clip"
    | "evalBatches"
    | "ckptEvery"
  > {
  /** Model config name (models/configs) or JSON path. */
  model: string;
  /** Fields replacing the config's (vocabSize always comes from the tokenizer). */
  overrides: Record<string, number | boolean | string>;
  /** The FLOP budget every objective gets (matched FLOPs). */
  budgetFlops?: number;
  /** Or: the budget as the FLOPs the softmax objective spends on this many tokens. */
  budgetSoftmaxTokens?: number;
  /** Seconds of training on this machine per run, for a design with budget "seconds". */
  budgetSeconds?: number;
}

/** The `multilingual` section of a profile. */
export interface MultilingualProfile {
  /** Pretraining languages (data/multilingual/sources.ts codes). */
  languages: string[];
  /** Cap per language in words (characters for ja and zh). */
  capWords: number;
  /** Unpack missing Debian packages with apt-get download (false: use what the data cache holds). */
  fetch: boolean;
  tokenizer: { vocabSize: number; alpha: number; seed: number; validFraction: number };
  encoder: ArchProfile;
  seeds: number[];
  fractions: number[];
  xnli: {
    setups: ("en" | "target")[];
    /** XNLI languages scored (the paper's: ar de en es fr hi zh). */
    langs: string[];
    split: "dev" | "test";
    seeds: number[];
    epochs: number;
    maxTrain: number | null;
    maxEval: number | null;
    batch: number;
    lr: number;
    loss: "balanced" | "plain";
    /** Dropout while fine-tuning (BERT's 0.1; 0: none). */
    dropout: number;
  };
}

/** A whole profile. */
export interface Profile {
  name: string;
  description: string;
  /** auto | tensorflow | webgpu | wasm-blas | wasm | cpu */
  backend: string;
  /** Refuse to run unless the backend is this one (override with --any-backend). */
  requireBackend: string | null;
  /**
   * Threads per stage (OpenBLAS products and C kernels; pipeline/stage_threads.ts), capped at the cores
   * this process may use; OPENBLAS_NUM_THREADS, when set, wins. null (or absent): one thread.
   */
  threads: number | null;
  /**
   * The pretraining corpus, a built-in one by name (data/corpora.ts) or the user's `files` (.txt, folders,
   * .jsonl, .jsonl.gz; paths relative to the profile file, or absolute; name "files"), and the slice of
   * it to tokenize (null: all).
   */
  corpus: { name: string; maxDocuments: number | null; files?: string[] };
  /**
   * The tokenizer trained on the corpus, or a given tokenizer.json (`file`, relative to the profile file
   * or absolute) used as it is; vocabSize must then be its size.
   */
  tokenizer: { vocabSize: number; seed: number; validFraction: number; maxTrainBytes: number | null; file?: string };
  pretrain: {
    /** The objectives compared; "softmax" is the baseline every other is compared with. */
    objectives: Objective[];
    seeds: number[];
    fractions: number[];
    /** The comparison designs: each plans every objective and seed (default: matched FLOPs, sparse head). */
    designs: DesignProfile[];
    /** Also a random-init reference per architecture and seed: no pretraining, evaluated like the others. */
    randomInit: boolean;
    encoder: ArchProfile | null;
    decoder: ArchProfile | null;
  };
  glue: {
    /** GLUE task names, or ["all-in-cache"]: every GLUE task whose train and dev files the cache holds. */
    tasks: string[];
    /** Tasks left out of "all-in-cache" (e.g. QQP, whose 40k-example dev set is scored whole every epoch). */
    exclude: string[];
    seeds: number[];
    epochs: number;
    maxTrain: number | null;
    batch: number;
    lr: number;
    loss: "balanced" | "plain";
    /** Dropout while fine-tuning (BERT's 0.1; 0: none). */
    dropout: number;
    /** The checkpoint fractions fine-tuned (null: every one). */
    fractions: number[] | null;
  } | null;
  lambada: {
    limit: number | null;
    seeds: number[];
    lmSteps: number;
    lmBatch: number;
    lmSeqLen: number | null;
    lmLr: number;
  } | null;
  /**
   * The multilingual experiment (paper section 6.3): a corpus of `languages` capped per language, one
   * tokenizer trained with language sampling, an encoder per objective and seed at one FLOP budget, and
   * XNLI (fine-tune on English, fine-tune on each target language) at every checkpoint fraction.
   * null (or absent): not run.
   */
  multilingual: MultilingualProfile | null;
  /**
   * BLiMP scored zero-shot (evals/blimp_stage.ts) at decoder checkpoints (and encoder ones, by
   * pseudo-log-likelihood, when `encoders`), with the LAMBADA stage's LM fine-tunes of headless decoders,
   * plus the unigram reference once. null (or absent): not run.
   */
  blimp: BlimpProfile | null;
  /** Bits per byte of the valid split (evals/bpb_stage.ts) at decoder checkpoints, plus the unigram reference. */
  bpb: BpbProfile | null;
  /** Throughput guesses for the ETA before anything is measured. */
  speed: {
    pretrainFlopsPerSecond: number;
    glueExamplesPerSecond: number;
    lambadaPassagesPerSecond: number;
    /** Decoder BLiMP pairs a second (an encoder's pseudo-log-likelihood costs one pass per token). */
    blimpPairsPerSecond: number;
    /** Decoder tokens scored a second for bits per byte. */
    bpbTokensPerSecond: number;
  };
}

/** The `blimp` section of a profile. */
export interface BlimpProfile {
  /** Paradigm UIDs (null: all 67). */
  paradigms: string[] | null;
  /** First N pairs of each paradigm (null: all 1,000). */
  limitPerParadigm: number | null;
  /** Score encoders too (pseudo-log-likelihood). */
  encoders: boolean;
  /** The checkpoint fractions scored (null: every one). */
  fractions: number[] | null;
  /** Most tokens per forward pass. */
  maxTokens: number;
}

/** The `bpb` section of a profile. */
export interface BpbProfile {
  /** First N documents of the valid split (null: all). */
  limitDocuments: number | null;
  /** The checkpoint fractions scored (null: every one). */
  fractions: number[] | null;
  /** Most tokens per forward pass. */
  maxTokens: number;
}

type Check = (value: unknown, path: string) => unknown;

/** The smallest vocabulary a profile trains a tokenizer to (a given tokenizer.json may have any size). */
const MIN_TRAINED_VOCAB = 4096;

/** Thrown inside the checkers; turned into an InputError with the file and line by `validateProfile`. */
const KeyError = ProfileKeyError;

const fail = (path: string, expected: string, value: unknown): never => {
  throw new KeyError(path, `${path}: expected ${expected}, got ${JSON.stringify(value)}`);
};

const str: Check = (v, p) => (typeof v === "string" && v !== "" ? v : fail(p, "a non-empty string", v));
const oneOf = (...allowed: string[]): Check =>
(
  v,
  p,
) => (allowed.includes(v as string) ? v : fail(p, `one of ${allowed.join(", ")}`, v));
const num = (min: number, max = Infinity): Check => (v, p) =>
  typeof v === "number" && Number.isFinite(v) && v >= min && v <= max ? v : fail(p, `a number in [${min}, ${max}]`, v);
const positive: Check = (
  v,
  p,
) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : fail(p, "a positive number", v));
const int = (min: number): Check =>
(
  v,
  p,
) => (Number.isSafeInteger(v) && (v as number) >= min ? v : fail(p, `an integer >= ${min}`, v));
const nullable = (c: Check): Check => (v, p) => (v === null ? null : c(v, p));
const bool: Check = (v, p) => (typeof v === "boolean" ? v : fail(p, "true or false", v));
const list = (c: Check, minLength = 1): Check => (v, p) => {
  if (!Array.isArray(v) || v.length < minLength) fail(p, `a list of at least ${minLength} item(s)`, v);
  return (v as unknown[]).map((x, i) => c(x, `${p}[${i}]`));
};
const record: Check = (v, p) => {
  if (!v || typeof v !== "object" || Array.isArray(v)) fail(p, "an object", v);
  for (const [k, x] of Object.entries(v as object)) {
    if (!["number", "boolean", "string"].includes(typeof x)) fail(`${p}.${k}`, "a number, boolean or string", x);
  }
  return v;
};

/** An object with exactly the keys of `fields` (keys listed in `optional` may be missing). */
function object(fields: Record<string, Check>, optional: string[] = []): Check {
  return (v, p) => {
    if (!v || typeof v !== "object" || Array.isArray(v)) fail(p || "(root)", "an object", v);
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!(k in fields)) {
        throw new KeyError(
          p ? `${p}.${k}` : k,
          `${p ? `${p}.` : ""}${k}: unknown key; expected only ${Object.keys(fields).join(", ")}`,
        );
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, check] of Object.entries(fields)) {
      const path = p ? `${p}.${k}` : k;
      if (!(k in o)) {
        if (optional.includes(k)) continue;
        throw new KeyError(p || k, `${path}: missing key`);
      }
      out[k] = check(o[k], path);
    }
    return out;
  };
}

/** Fills optional keys the checker left out. */
const withDefaults = (defaults: Record<string, unknown>, c: Check): Check => (v, p) => ({
  ...defaults,
  ...(c(v, p) as object),
});

const archProfile: Check = (v, p) => {
  const a = object({
    model: str,
    overrides: record,
    budgetFlops: positive,
    budgetSoftmaxTokens: positive,
    budgetSeconds: positive,
    batch: int(1),
    accum: int(1),
    seqLen: int(4),
    lr: positive,
    warmupFrac: num(0, 1),
    schedule: oneOf("linear", "cosine", "constant"),
    lrFloorFrac: num(0, 1),
    weightDecay: num(0),
    beta2: num(0, 1),
    clip: num(0),
    evalBatches: int(1),
    ckptEvery: int(0),
  }, ["overrides", "budgetFlops", "budgetSoftmaxTokens", "budgetSeconds"])(v, p) as ArchProfile;
  if ((a.budgetFlops === undefined) === (a.budgetSoftmaxTokens === undefined)) {
    throw new KeyError(`${p}.budgetFlops`, `${p}: expected exactly one of budgetFlops and budgetSoftmaxTokens`);
  }
  if ("vocabSize" in (a.overrides ?? {})) {
    fail(`${p}.overrides.vocabSize`, "no vocabSize (it comes from the tokenizer)", a.overrides.vocabSize);
  }
  return { ...a, overrides: a.overrides ?? {} };
};

const fractions: Check = (v, p) => {
  const xs = list(num(0, 1))(v, p) as number[];
  if (xs.some((x) => x <= 0)) fail(p, "fractions in (0, 1]", v);
  if (!xs.includes(1)) fail(p, "a list that includes 1 (the end of the budget)", v);
  return [...new Set(xs)].sort((a, b) => a - b);
};

/** The largest fine-tuning dropout a profile or `deno task evaluate --dropout` takes. */
export const MAX_DROPOUT = 0.9;

const dropout = num(0, MAX_DROPOUT);

const design: Check = object({
  name: str,
  budget: oneOf(...BUDGET_MODES),
  head: oneOf(...HEAD_MODES),
  vocabSize: int(4096),
  batch: int(1),
}, ["name", "vocabSize", "batch"]);

/** The designs: names unique (given or derived). */
const designs: Check = (v, p) => {
  const list_ = list(design)(v, p) as DesignProfile[];
  const seen = new Map<string, number>();
  list_.forEach((d, i) => {
    const name = designName(d);
    if (seen.has(name)) {
      throw new KeyError(
        `${p}[${i}]`,
        `${p}[${i}]: design "${name}" is already ${p}[${seen.get(name)}]; give each design its own name`,
      );
    }
    seen.set(name, i);
  });
  return list_;
};

const multilingual: Check = object({
  languages: list(oneOf(...Object.keys(LANGUAGE_SOURCES))),
  capWords: int(100),
  fetch: bool,
  tokenizer: object({ vocabSize: int(4096), alpha: num(0, 1), seed: int(0), validFraction: num(0.001, 0.5) }),
  encoder: archProfile,
  seeds: list(int(0)),
  fractions,
  xnli: withDefaults(
    { dropout: 0 },
    object({
      setups: list(oneOf("en", "target")),
      langs: list(oneOf(...XNLI_LANGUAGES)),
      split: oneOf("dev", "test"),
      seeds: list(int(0)),
      epochs: int(1),
      maxTrain: nullable(int(1)),
      maxEval: nullable(int(1)),
      batch: int(1),
      lr: positive,
      loss: oneOf("balanced", "plain"),
      dropout,
    }, ["dropout"]),
  ),
});

/** A subset of the pretraining fractions, or null for all of them (checked against them in validateProfile). */
const someFractions: Check = nullable((v, p) => [...new Set(list(num(0, 1))(v, p) as number[])].sort((a, b) => a - b));

const blimp: Check = object({
  paradigms: nullable(list(oneOf(...Object.keys(blimpTask().splits)))),
  limitPerParadigm: nullable(int(1)),
  encoders: (v, p) => (typeof v === "boolean" ? v : fail(p, "true or false", v)),
  fractions: someFractions,
  maxTokens: int(64),
});

const bpb: Check = object({ limitDocuments: nullable(int(1)), fractions: someFractions, maxTokens: int(64) });

/**
 * Speeds of the signal stages measured here for dec-small on 2 shared cores (load 12-18: BLiMP 31-47 pairs/s,
 * bits per byte 630 tokens/s), used when a profile's speed section does not say.
 */
const SIGNAL_SPEEDS = { blimpPairsPerSecond: 40, bpbTokensPerSecond: 700 };

/** The corpus: a built-in one by name, or the user's files (name "files", the default when files are given). */
const corpusSection: Check = (v, p) => {
  const c = object(
    { name: oneOf(...CORPUS_NAMES, FILES_CORPUS), maxDocuments: nullable(int(2)), files: list(str) },
    ["name", "files"],
  )(v, p) as Profile["corpus"];
  const name = c.name ?? (c.files ? FILES_CORPUS : "default");
  if ((name === FILES_CORPUS) !== (c.files !== undefined)) {
    throw new KeyError(
      `${p}.${c.files ? "files" : "name"}`,
      `${p}: corpus.files goes with corpus.name "${FILES_CORPUS}" (or no name); a built-in corpus takes no files`,
    );
  }
  return { ...c, name };
};

const PROFILE: Check = withDefaults(
  { multilingual: null, blimp: null, bpb: null, threads: null },
  object({
    name: str,
    description: str,
    backend: oneOf(...BACKEND_NAMES),
    requireBackend: nullable(oneOf(...BACKEND_NAMES.filter((b) => b !== "auto"))),
    threads: nullable(int(1)),
    corpus: corpusSection,
    tokenizer: object({
      vocabSize: int(6),
      seed: int(0),
      validFraction: num(0.001, 0.5),
      maxTrainBytes: nullable(int(1)),
      file: str,
    }, ["file"]),
    pretrain: withDefaults(
      { designs: DEFAULT_DESIGNS, randomInit: false },
      object({
        objectives: list(oneOf(...OBJECTIVES)),
        seeds: list(int(0)),
        fractions,
        designs,
        randomInit: bool,
        encoder: nullable(archProfile),
        decoder: nullable(archProfile),
      }, ["designs", "randomInit"]),
    ),
    glue: nullable(withDefaults(
      { exclude: [], dropout: 0, fractions: null },
      object({
        tasks: list(oneOf(...GLUE_TASK_NAMES, "all-in-cache")),
        exclude: list(oneOf(...GLUE_TASK_NAMES), 0),
        seeds: list(int(0)),
        epochs: int(1),
        maxTrain: nullable(int(1)),
        batch: int(1),
        lr: positive,
        loss: oneOf("balanced", "plain"),
        dropout,
        fractions: someFractions,
      }, ["exclude", "dropout", "fractions"]),
    )),
    lambada: nullable(object({
      limit: nullable(int(1)),
      seeds: list(int(0)),
      lmSteps: int(0),
      lmBatch: int(1),
      lmSeqLen: nullable(int(4)),
      lmLr: positive,
    })),
    multilingual: nullable(multilingual),
    blimp: nullable(blimp),
    bpb: nullable(bpb),
    speed: withDefaults(
      SIGNAL_SPEEDS,
      object({
        pretrainFlopsPerSecond: positive,
        glueExamplesPerSecond: positive,
        lambadaPassagesPerSecond: positive,
        blimpPairsPerSecond: positive,
        bpbTokensPerSecond: positive,
      }, Object.keys(SIGNAL_SPEEDS)),
    ),
  }, ["multilingual", "blimp", "bpb", "threads"]),
);

/**
 * The checks across sections: every design compares the softmax baseline with a partner objective; a
 * seconds design needs each architecture's budgetSeconds; a given tokenizer fixes the vocabulary, and a
 * trained one has at least MIN_TRAINED_VOCAB tokens.
 */
function checkComparisons(p: Profile): void {
  const { objectives, designs } = p.pretrain;
  if (p.tokenizer.file === undefined && p.tokenizer.vocabSize < MIN_TRAINED_VOCAB) {
    fail(
      "tokenizer.vocabSize",
      `an integer >= ${MIN_TRAINED_VOCAB} (or a given tokenizer.file)`,
      p.tokenizer.vocabSize,
    );
  }
  if (!objectives.includes("softmax") || objectives.length < 2) {
    throw new KeyError(
      "pretrain.objectives",
      `pretrain.objectives: expected "softmax" and at least one objective to compare with it (its partner runs), got ${
        JSON.stringify(objectives)
      }`,
    );
  }
  const archs = [
    ["pretrain.encoder", p.pretrain.encoder],
    ["pretrain.decoder", p.pretrain.decoder],
    ["multilingual.encoder", p.multilingual?.encoder ?? null],
  ] as const;
  designs.forEach((d, i) => {
    for (const [key, a] of archs) {
      if (d.budget === "seconds" && a && a.budgetSeconds === undefined) {
        throw new KeyError(
          `pretrain.designs[${i}].budget`,
          `pretrain.designs[${i}].budget: a "seconds" design needs ${key}.budgetSeconds (seconds of training per run)`,
        );
      }
    }
    if (d.vocabSize !== undefined && p.tokenizer.file !== undefined) {
      throw new KeyError(
        `pretrain.designs[${i}].vocabSize`,
        `pretrain.designs[${i}].vocabSize: the tokenizer is given (tokenizer.file), so its vocabulary cannot change`,
      );
    }
  });
}

/** Checks a parsed profile; errors name `file`, the key and its line in `text`. */
export function validateProfile(raw: unknown, file: string, text = ""): Profile {
  try {
    const p = PROFILE(raw, "") as Profile;
    if (!p.pretrain.encoder && !p.pretrain.decoder && !p.multilingual) {
      throw new KeyError(
        "pretrain.encoder",
        "pretrain: expected an encoder, a decoder or a multilingual section (all are null)",
      );
    }
    if (p.glue && !p.pretrain.encoder) throw new KeyError("glue", "glue: GLUE fine-tuning needs pretrain.encoder");
    checkComparisons(p);
    plannedRuns(p); // the budgets: a headless decoder's LM fine-tune must fit in its budget
    if (p.lambada && !p.pretrain.decoder) throw new KeyError("lambada", "lambada: LAMBADA needs pretrain.decoder");
    if (p.bpb && !p.pretrain.decoder) throw new KeyError("bpb", "bpb: bits per byte needs pretrain.decoder");
    if (p.blimp && !p.pretrain.decoder && !(p.blimp.encoders && p.pretrain.encoder)) {
      throw new KeyError("blimp", "blimp: BLiMP needs pretrain.decoder, or pretrain.encoder with blimp.encoders true");
    }
    for (const key of ["glue", "blimp", "bpb"] as const) {
      const wrong = p[key]?.fractions?.filter((f) => !p.pretrain.fractions.includes(f)) ?? [];
      if (wrong.length) {
        throw new KeyError(
          `${key}.fractions`,
          `${key}.fractions: ${wrong.join(", ")} not among pretrain.fractions ${JSON.stringify(p.pretrain.fractions)}`,
        );
      }
    }
    return p;
  } catch (e) {
    if (e instanceof ProfileKeyError) throw new InputError(e.message, file, lineOfPath(text, e.path));
    throw e;
  }
}

/** The file of a profile name ("smoke") or path (anything with a / or ending in .json). */
export function profilePath(nameOrPath: string): string {
  return nameOrPath.includes("/") || nameOrPath.endsWith(".json")
    ? nameOrPath
    : join(PROFILE_DIR, `${nameOrPath}.json`);
}

/** The names of the profiles in profiles/. */
export function profileNames(): string[] {
  try {
    return [...Deno.readDirSync(PROFILE_DIR)].filter((e) => e.isFile && e.name.endsWith(".json")).map((e) =>
      e.name.slice(0, -5)
    ).sort();
  } catch {
    return [];
  }
}

/** Reads and checks a profile by name or path. */
export async function loadProfile(
  nameOrPath: string,
  sets: readonly string[] = [],
): Promise<{ profile: Profile; file: string; text: string }> {
  const file = profilePath(nameOrPath);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new InputError(`no such profile; known: ${profileNames().join(", ")}`, file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(
      `not valid JSON (${(e as Error).message}); expected a profile object`,
      file,
      jsonErrorLine(text, (e as Error).message),
    );
  }
  if (sets.length) {
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
      throw new InputError("expected a profile object", file, 1);
    }
    raw = applyOverrides(raw as Record<string, unknown>, sets);
  }
  const where = sets.length ? `${file} (with --set ${sets.join(" ")})` : file;
  return { profile: validateProfile(raw, where, text), file, text };
}

/** Applies `key=value` overrides (dotted paths, JSON values) to a raw profile, e.g. "glue.epochs=2". */
export function applyOverrides(raw: Record<string, unknown>, sets: readonly string[]): Record<string, unknown> {
  const out = structuredClone(raw);
  for (const s of sets) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new InputError(`--set expects KEY=VALUE (e.g. glue.epochs=2), got ${JSON.stringify(s)}`);
    const keys = s.slice(0, eq).split(".");
    let value: unknown;
    try {
      value = JSON.parse(s.slice(eq + 1));
    } catch {
      value = s.slice(eq + 1);
    }
    let node = out as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) {
      if (!node[k] || typeof node[k] !== "object") {
        throw new InputError(`--set ${s}: ${k} is not an object in the profile`);
      }
      node = node[k] as Record<string, unknown>;
    }
    node[keys.at(-1)!] = value;
  }
  return out;
}
