/**
 * manifest.json of a reproduction: software versions, backend, machine, the profile, data and
 * tokenizer hashes, git commit, start and end times, and the stages with their keys.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { kernelSummary } from "../kernels/summary.ts";
import { exists, sha256, sha256File, writeJsonAtomic } from "../util/fs.ts";
import { REPO_ROOT } from "../util/paths.ts";
import type { LanguagesFile, MultilingualSources } from "./multilingual.ts";
import type { Profile } from "./profile.ts";
import type { KeyedStage, RunSummary } from "./stage.ts";

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

/** Cores, memory and OS of this machine. */
export function machineInfo(): { cores: number; memoryBytes: number; os: string; hostname: string } {
  return {
    cores: navigator.hardwareConcurrency,
    memoryBytes: Deno.systemMemoryInfo().total,
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
  corpus: { sha256: string; documents: number; bytes: number };
  /** The default corpus's token folder (null when the profile pretrains on the multilingual corpus only). */
  tokensDir: string | null;
  /** The multilingual corpus stage's sources, token folder and languages.json, when the profile has one. */
  multilingual?: { sources: MultilingualSources; tokensDir: string; languagesFile: string };
  summary: RunSummary;
  startedAt: string;
  endedAt: string;
}

/** A token folder's tokenizer.json and manifest.json hashes. */
async function tokenizerManifest(tokensDir: string) {
  const file = join(tokensDir, "tokenizer.json");
  const tokensManifest = join(tokensDir, "manifest.json");
  return {
    file,
    sha256: (await exists(file)) ? await sha256File(file) : null,
    tokensManifestSha256: (await exists(tokensManifest)) ? await sha256File(tokensManifest) : null,
  };
}

/** The multilingual corpus's sources, tokenizer hash and per-language figures. */
async function multilingualManifest(m: NonNullable<ManifestInput["multilingual"]>) {
  const languages = (await exists(m.languagesFile))
    ? JSON.parse(await Deno.readTextFile(m.languagesFile)) as LanguagesFile
    : null;
  return {
    sources: m.sources,
    tokenizer: { ...(await tokenizerManifest(m.tokensDir)), training: languages?.tokenizer ?? null },
    corpus: languages?.corpus ?? null,
    languages: languages?.languages ?? null,
  };
}

/** Writes `outDir`/manifest.json; returns its path. */
export async function writeManifest(outDir: string, m: ManifestInput): Promise<string> {
  const stage = (s: KeyedStage) => ({ id: s.id, key: s.key, dir: s.dir });
  const manifest = {
    format: "headless-bench-reproduce/1",
    profile: { name: m.profile.name, file: m.profileFile, sha256: sha256(m.profileText), config: m.profile },
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
    data: { cacheDir: m.cacheDir, files: m.dataHashes },
    corpus: m.corpus,
    tokenizer: m.tokensDir === null ? null : await tokenizerManifest(m.tokensDir),
    multilingual: m.multilingual ? await multilingualManifest(m.multilingual) : null,
    startedAt: m.startedAt,
    endedAt: m.endedAt,
    invocation: m.summary.invocation,
    stages: {
      ran: m.summary.ran,
      skipped: m.summary.skipped,
      resumed: m.summary.resumed,
      all: m.summary.stages.map(stage),
    },
  };
  const path = join(outDir, "manifest.json");
  await writeJsonAtomic(path, manifest);
  return path;
}
