/**
 * Where each cache file comes from on the web: one row per download, with its sha256 and size (from
 * Hugging Face's `glue` and `xnli` dataset_infos.json download checksums, and the LAMBADA hash the
 * project was given) and how it unpacks into the cache layout. URLs are a base (overridable, so tests
 * can serve fixtures from 127.0.0.1) plus a file name. Which cache files a task has comes from the task
 * registry (evals/tasks/); this table only says where their bytes come from.
 * GLUE zips: the names download_glue_data.py and Hugging Face use (dl.fbaipublicfiles.com/glue/data;
 * QQP-clean.zip for QQP, QNLIv2.zip for QNLI), each member `TASK/SPLIT.tsv` the cache's `glue/TASK/SPLIT.tsv`.
 * MRPC: the MSR paraphrase files as SentEval hosts them, used whole (train -> glue/MRPC/train.tsv,
 * test -> glue/MRPC/dev.tsv), as in ../shared/data.
 * BLiMP: each paradigm's file from the authors' repository (data/blimp_files.ts pins them), one source per
 * paradigm named by its UID, all tagged blimp.
 */
import { InputError } from "../util/errors.ts";
import { glueTask } from "./glue.ts";
import { blimpTask } from "./blimp.ts";
import { BLIMP_FILES } from "./blimp_files.ts";
import { LAMBADA_PATH } from "./lambada.ts";
import { XNLI_LANGUAGES, XNLI_TRAIN_LANGUAGES, xnliPath } from "./xnli.ts";

/** Named hosts a source's file is fetched from. */
export type BaseName = "glue" | "senteval" | "lambada" | "xnli" | "blimp";

/** The canonical hosts. */
export const DEFAULT_BASE_URLS: Readonly<Record<BaseName, string>> = {
  glue: "https://dl.fbaipublicfiles.com/glue/data/",
  senteval: "https://dl.fbaipublicfiles.com/senteval/senteval_data/",
  lambada: "https://openaipublic.blob.core.windows.net/gpt-2/data/",
  xnli: "https://dl.fbaipublicfiles.com/XNLI/",
  blimp: "https://raw.githubusercontent.com/alexwarstadt/blimp/master/data/",
};

/** How a downloaded file becomes cache files. */
export type Unpack =
  /** the download is the cache file */
  | { kind: "file"; to: string }
  /** zip member -> cache path, bytes as they are */
  | { kind: "zip"; members: Record<string, string> }
  /** zip member (XNLI-1.0's all-language dev/test file) -> split, written per language by splitXnliRelease */
  | { kind: "xnli-release"; members: Record<string, "dev" | "test"> };

/** One download. */
export interface Source {
  /** unique name, usable with --only */
  name: string;
  /** other names that select it with --only: its group (glue, lambada, xnli) and task */
  tags: string[];
  base: BaseName;
  file: string;
  sha256?: string;
  bytes?: number;
  unpack: Unpack;
}

/** A GLUE task's zip: its members are the task's cache files (glue/CoLA/dev.tsv <- CoLA/dev.tsv). */
const glueZip = (task: string, file: string, sha256: string, bytes: number): Source => {
  const spec = glueTask(task);
  const title = spec.title ?? spec.name;
  return {
    name: title,
    tags: ["glue"],
    base: "glue",
    file,
    sha256,
    bytes,
    unpack: {
      kind: "zip",
      members: Object.fromEntries(Object.values(spec.splits).map((f) => [f.replace(/^glue\//, ""), f])),
    },
  };
};

/** A GLUE task's cache file for one split. */
const glueFile = (task: string, split: string) => glueTask(task).splits[split];

/** Every download the cache can be filled from. */
export const SOURCES: readonly Source[] = [
  glueZip("cola", "CoLA.zip", "f212fcd832b8f7b435fb991f101abf89f96b933ab400603bf198960dfc32cbff", 376971),
  glueZip("sst2", "SST-2.zip", "d67e16fb55739c1b32cdce9877596db1c127dc322d93c082281f64057c16deaa", 7439277),
  {
    name: "MRPC-train",
    tags: ["glue", "MRPC"],
    base: "senteval",
    file: "msr_paraphrase_train.txt",
    sha256: "60a9b09084528f0673eedee2b69cb941920f0b8cd0eeccefc464a98768457f89",
    bytes: 1047044,
    unpack: { kind: "file", to: glueFile("mrpc", "train") },
  },
  {
    name: "MRPC-dev",
    tags: ["glue", "MRPC"],
    base: "senteval",
    file: "msr_paraphrase_test.txt",
    sha256: "a04e271090879aaba6423d65b94950c089298587d9c084bf9cd7439bd785f784",
    bytes: 441275,
    unpack: { kind: "file", to: glueFile("mrpc", "dev") },
  },
  glueZip("stsb", "STS-B.zip", "e60a6393de5a8b5b9bac5020a1554b54e3691f9d600b775bd131e613ac179c85", 802872),
  glueZip("qqp", "QQP-clean.zip", "40e7c862c04eb26ee04b67fd900e76c45c6ba8e6d8fab4f8f1f8072a1a3fbae0", 41696084),
  glueZip("mnli", "MNLI.zip", "e7c1d896d26ed6caf700110645df426cc2d8ebf02a5ab743d5a5c68ac1c83633", 312783507),
  glueZip("qnli", "QNLIv2.zip", "e634e78627a29adaecd4f955359b22bf5e70f2cbd93b493f2d624138a0c0e5f5", 10627589),
  glueZip("rte", "RTE.zip", "6bf86de103ecd335f3441bd43574d23fef87ecc695977a63b82d5efb206556ee", 697150),
  glueZip("wnli", "WNLI.zip", "ae0e8e4d16f4d46d4a0a566ec7ecceccfd3fbfaa4a7a4b4e02848c0f2561ac46", 28999),
  {
    name: "lambada",
    tags: ["lambada"],
    base: "lambada",
    file: "lambada_test.jsonl",
    sha256: "4aa8d02cd17c719165fc8a7887fddd641f43fcafa4b1c806ca8abc31fabdb226",
    bytes: 1819752,
    unpack: { kind: "file", to: LAMBADA_PATH },
  },
  ...Object.entries(BLIMP_FILES).map(([uid, [sha256, bytes]]): Source => ({
    name: uid,
    tags: ["blimp"],
    base: "blimp",
    file: `${uid}.jsonl`,
    sha256,
    bytes,
    unpack: { kind: "file", to: blimpTask().splits[uid] },
  })),
  {
    name: "xnli-eval",
    tags: ["xnli"],
    base: "xnli",
    file: "XNLI-1.0.zip",
    sha256: "4ba1d5e1afdb7161f0f23c66dc787802ccfa8a25a3ddd3b165a35e50df346ab1",
    bytes: 17865352,
    unpack: { kind: "xnli-release", members: { "XNLI-1.0/xnli.dev.tsv": "dev", "XNLI-1.0/xnli.test.tsv": "test" } },
  },
  {
    name: "xnli-train",
    tags: ["xnli"],
    base: "xnli",
    file: "XNLI-MT-1.0.zip",
    sha256: "f732517ba2fb1d550e9f3c2aabaef6017c91ee2dcec90e878f138764d224db05",
    bytes: 466098360,
    unpack: {
      kind: "zip",
      members: Object.fromEntries(
        XNLI_TRAIN_LANGUAGES.map((l) => [`XNLI-MT-1.0/multinli/multinli.train.${l}.tsv`, xnliPath(l, "train")]),
      ),
    },
  },
];

/** The cache files a source provides. */
export function sourceOutputs(source: Source): string[] {
  const unpack = source.unpack;
  switch (unpack.kind) {
    case "file":
      return [unpack.to];
    case "zip":
      return Object.values(unpack.members);
    case "xnli-release":
      return Object.values(unpack.members).flatMap((split) => XNLI_LANGUAGES.map((l) => xnliPath(l, split)));
  }
}

/**
 * The `--base-url` flag: every host replaced by one base URL (a mirror of the canonical files, or a
 * local server in tests); undefined when not given. Not a URL: an InputError.
 */
export function baseUrlsFromFlag(base: string | undefined): Record<BaseName, string> | undefined {
  if (base === undefined) return undefined;
  if (!URL.canParse(base)) {
    throw new InputError(`--base-url ${JSON.stringify(base)} is not a URL; expected e.g. http://host/path/`);
  }
  return Object.fromEntries(Object.keys(DEFAULT_BASE_URLS).map((k) => [k, base])) as Record<BaseName, string>;
}

/**
 * The sources providing `files` (cache-relative paths), in table order, and the files no source
 * provides (a task file of one's own, or data only a mirror has).
 */
export function sourcesFor(
  files: readonly string[],
  sources: readonly Source[] = SOURCES,
): { sources: Source[]; unknown: string[] } {
  const wanted = new Set(files);
  const chosen = sources.filter((s) => sourceOutputs(s).some((f) => wanted.has(f)));
  const provided = new Set(chosen.flatMap(sourceOutputs));
  return { sources: chosen, unknown: files.filter((f) => !provided.has(f)) };
}

/** A source's URL, with its base taken from `baseUrls` where given. */
export function sourceUrl(source: Source, baseUrls: Partial<Record<BaseName, string>> = {}): string {
  const base = baseUrls[source.base] ?? DEFAULT_BASE_URLS[source.base];
  return new URL(source.file, base.endsWith("/") ? base : `${base}/`).href;
}

/**
 * The sources named by `only` (source names, tags such as glue/lambada/xnli/MRPC; case-insensitive),
 * in table order; all of them when `only` is empty. An unknown name is an InputError listing the choices.
 */
export function selectSources(only: readonly string[] = [], sources: readonly Source[] = SOURCES): Source[] {
  const wanted = only.map((n) => n.trim()).filter((n) => n !== "");
  if (wanted.length === 0) return [...sources];
  const names = (s: Source) => [s.name, ...s.tags].map((n) => n.toLowerCase());
  for (const name of wanted) {
    if (!sources.some((s) => names(s).includes(name.toLowerCase()))) {
      const choices = [...new Set(sources.flatMap((s) => [...s.tags, s.name]))];
      throw new InputError(`--only: unknown data set "${name}" (choices: ${choices.join(", ")})`);
    }
  }
  return sources.filter((s) => wanted.some((n) => names(s).includes(n.toLowerCase())));
}
