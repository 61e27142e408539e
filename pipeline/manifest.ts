/**
 * manifest.json of a reproduction: software versions, backend, machine, the profile, data and
 * tokenizer hashes, git commit, start and end times, and the stages with their keys. Paths are relative
 * to the output folder or the repository (util/paths.ts portablePath), so a committed manifest names no
 * machine's folders.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import type { CorpusDescription } from "../data/corpus_by_name.ts";
import type { LanguagesFile } from "../tokenizer/multilingual_stage.ts";
import { kernelSummary } from "../kernels/summary.ts";
import { exists, sha256, sha256File, writeJsonAtomic } from "../util/fs.ts";
import { portablePath, REPO_ROOT } from "../util/paths.ts";
import type { MultilingualSources } from "./multilingual.ts";
import type { Profile } from "./profile.ts";
import type { RunSummary } from "./run_plan.ts";

/** The format name of a reproduction's manifest.json (it also marks the folder as a reproduction's). */
export const REPRODUCE_FORMAT = "headless-bench-reproduce/1";

/** The git commit of the repository and whether the tree has changes (null fields outside git). */
export async function gitState(): Promise<{ commit: string | null; dirty: boolean | null }> {
  const git = async (...args: string[]) => {
    try {
      const out = await new Deno.Command("git", { args, cwd: REPO_ROOT, stdout: "piped", stderr: "null" }).output();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
    } catch {
      return null;
    }
  };
  const commit = await git("rev-parse", "HEAD");
  const status = commit === null ? null : await git("status", "--porcelain", "--untracked-files=no");
  return { commit, dirty: status === null ? null : status !== "" };
}

/** Cores, memory, CPU model and OS of this machine. */
export function machineInfo(): { cores: number; memoryBytes: number; cpu: string; os: string; hostname: string } {
  let cpu = "";
  try {
    cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "";
  } catch { /* not Linux */ }
  return {
    cores: navigator.hardwareConcurrency,
    memoryBytes: Deno.systemMemoryInfo().total,
    cpu,
    os: `${Deno.build.os}-${Deno.build.arch}`,
    hostname: Deno.hostname(),
  };
}

/** What goes into manifest.json. */
export interface ManifestInput {
  profile: Profile;
  profileFile: string;
  profileText: string;
  backend: string;
  cacheDir: string;
  dataHashes: Record<string, string>;
  /**
   * The slice tokenized, and the whole corpus it comes from (sources, versions, hashes; null for user files);
   * the user's corpus files and a given tokenizer.json, each with its sha256.
   */
  corpus: {
    name: string;
    sha256: string;
    documents: number;
    bytes: number;
    whole: CorpusDescription | null;
    files?: { path: string; sha256: string }[];
    givenTokenizer?: { path: string; sha256: string } | null;
  };
  /** The tokenize stage's folder (null when the profile pretrains on the multilingual corpus only). */
  tokensDir: string | null;
  /** The multilingual corpus stage's sources and folder, when the profile has one. */
  multilingual?: { sources: MultilingualSources; corpusDir: string };
  summary: RunSummary;
  startedAt: string;
  endedAt: string;
}

/** A token folder's tokenizer.json and manifest.json hashes. */
async function tokenizerManifest(tokensDir: string, outDir: string) {
  const file = join(tokensDir, "tokenizer.json");
  const tokensManifest = join(tokensDir, "manifest.json");
  return {
    file: portablePath(file, outDir),
    sha256: (await exists(file)) ? await sha256File(file) : null,
    tokensManifestSha256: (await exists(tokensManifest)) ? await sha256File(tokensManifest) : null,
  };
}

/** The multilingual corpus's sources, tokenizer hash and per-language figures. */
async function multilingualManifest(m: NonNullable<ManifestInput["multilingual"]>, outDir: string) {
  const languagesFile = join(m.corpusDir, "languages.json");
  const languages = (await exists(languagesFile))
    ? JSON.parse(await Deno.readTextFile(languagesFile)) as LanguagesFile
    : null;
  return {
    sources: { dir: portablePath(m.sources.dir, outDir), fingerprint: m.sources.fingerprint },
    tokenizer: { ...(await tokenizerManifest(m.corpusDir, outDir)), training: languages?.tokenizer ?? null },
    corpus: languages?.corpus ?? null,
    languages: languages?.languages ?? null,
  };
}

/** Writes `outDir`/manifest.json; returns its path. */
export async function writeManifest(outDir: string, m: ManifestInput): Promise<string> {
  const manifest = {
    format: REPRODUCE_FORMAT,
    profile: {
      name: m.profile.name,
      file: portablePath(m.profileFile, outDir),
      sha256: sha256(m.profileText),
      config: m.profile,
    },
    versions: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
      tfjs: tf.version.tfjs,
    },
    backend: m.backend,
    kernels: kernelSummary(),
    machine: machineInfo(),
    git: await gitState(),
    data: { cacheDir: portablePath(m.cacheDir, outDir), files: m.dataHashes },
    corpus: {
      ...m.corpus,
      files: m.corpus.files?.map((f) => ({ path: portablePath(f.path, outDir), sha256: f.sha256 })) ?? [],
      givenTokenizer: m.corpus.givenTokenizer
        ? { path: portablePath(m.corpus.givenTokenizer.path, outDir), sha256: m.corpus.givenTokenizer.sha256 }
        : null,
    },
    tokenizer: m.tokensDir === null ? null : await tokenizerManifest(m.tokensDir, outDir),
    multilingual: m.multilingual ? await multilingualManifest(m.multilingual, outDir) : null,
    startedAt: m.startedAt,
    endedAt: m.endedAt,
    invocation: m.summary.invocation,
    stages: {
      ran: m.summary.ran,
      skipped: m.summary.skipped,
      resumed: m.summary.resumed,
      all: m.summary.stages.map((s) => ({ id: s.id, key: s.key, dir: portablePath(s.dir, outDir) })),
    },
  };
  const path = join(outDir, "manifest.json");
  await writeJsonAtomic(path, manifest);
  return path;
}
