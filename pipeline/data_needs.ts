/**
 * The evaluation files a profile needs from the data cache, their hashes, and the exact command that
 * fills the cache when some are missing.
 */
import { join, resolve } from "node:path";
import { blimpTask } from "../data/blimp.ts";
import { DATA_CACHE_ENV, missingFromCache } from "../data/cache.ts";
import { GLUE_TASK_NAMES, glueTask } from "../data/glue.ts";
import { LAMBADA_PATH } from "../data/lambada.ts";
import { xnliPath } from "../data/xnli.ts";
import { hasTrainFile } from "../evals/xnli_tasks.ts";
import { InputError } from "../util/errors.ts";
import { exists, sha256File } from "../util/fs.ts";
import { SHARED_DATA_DIR } from "../util/paths.ts";
import type { Profile } from "./profile.ts";

/** The profile value that selects every GLUE task whose files the cache holds. */
export const ALL_IN_CACHE = "all-in-cache";

/** Cache-relative files of one GLUE task (its train and dev sets, train first), from the task registry. */
export function glueFiles(task: string): string[] {
  return [...new Set(Object.entries(glueTask(task).splits).filter(([split]) => split !== "test").map(([, f]) => f))];
}

/** The GLUE tasks a profile runs: its list, or with "all-in-cache" those whose files are all in the cache. */
export async function profileGlueTasks(profile: Profile, cacheDir: string): Promise<string[]> {
  if (!profile.glue) return [];
  const { tasks, exclude } = profile.glue;
  if (!tasks.includes(ALL_IN_CACHE)) return tasks.filter((t) => !exclude.includes(t));
  const out: string[] = [];
  for (const task of GLUE_TASK_NAMES) {
    if (!exclude.includes(task) && (await missingFromCache(cacheDir, glueFiles(task))).length === 0) out.push(task);
  }
  return out;
}

/**
 * Cache-relative XNLI files of the multilingual section: English train and every language's evaluation
 * split for the "en" setup; train and evaluation split of each language with a translate-train file for
 * "target"; dev files too when the test split is scored (epochs are picked on dev).
 */
export function xnliFiles(
  x: Pick<NonNullable<Profile["multilingual"]>["xnli"], "setups" | "langs" | "split">,
): string[] {
  const files: string[] = [];
  for (const setup of x.setups) {
    const evalLangs = setup === "en" ? ["en", ...x.langs] : x.langs.filter(hasTrainFile);
    const trainLangs = setup === "en" ? ["en"] : evalLangs;
    files.push(...trainLangs.map((l) => xnliPath(l, "train")), ...evalLangs.map((l) => xnliPath(l, x.split)));
    if (x.split === "test") files.push(...trainLangs.map((l) => xnliPath(l, "dev")));
  }
  return [...new Set(files)];
}

/** Cache-relative BLiMP files of a profile's `blimp` section: its paradigms (null: all 67). */
export function blimpFiles(blimp: Pick<NonNullable<Profile["blimp"]>, "paradigms">): string[] {
  const { splits } = blimpTask();
  return (blimp.paradigms ?? Object.keys(splits)).map((p) => splits[p]);
}

/** Every cache-relative file the profile reads. */
export function requiredFiles(
  glueTasks: readonly string[],
  lambada: boolean,
  multilingual: Profile["multilingual"] = null,
  blimp: Profile["blimp"] = null,
): string[] {
  return [
    ...glueTasks.flatMap(glueFiles),
    ...(lambada ? [LAMBADA_PATH] : []),
    ...(multilingual ? xnliFiles(multilingual.xnli) : []),
    ...(blimp ? blimpFiles(blimp) : []),
  ];
}

/** The `--only` names of `deno task data` for cache files: glue/RTE/train.tsv -> RTE, lambada/... -> lambada. */
export function dataSourcesFor(files: readonly string[]): string[] {
  return [...new Set(files.map((f) => (f.startsWith("glue/") ? f.split("/")[1] : f.split("/")[0])))];
}

/** The message for missing cache files: what is missing, where the cache is, and the command to fill it. */
export async function missingDataMessage(cacheDir: string, missing: readonly string[]): Promise<string> {
  const env = Deno.env.get(DATA_CACHE_ENV);
  const only = dataSourcesFor(missing).join(",");
  const where = env
    ? `${DATA_CACHE_ENV} points to ${env} (the cache in use: ${cacheDir})`
    : `${DATA_CACHE_ENV} is not set; the cache in use is ${cacheDir}`;
  const lines = [
    `the evaluation data cache lacks ${missing.length} file(s): ${missing.join(", ")}`,
    where,
    `fill it with:`,
    `  deno task data --cache-dir ${cacheDir} --only ${only}`,
  ];
  if (resolve(SHARED_DATA_DIR) !== resolve(cacheDir) && (await exists(SHARED_DATA_DIR))) {
    lines.push(
      `or copy them from the local mirror:`,
      `  deno task data --cache-dir ${cacheDir} --data-dir ${SHARED_DATA_DIR} --only ${only}`,
    );
  }
  return lines.join("\n");
}

/** sha256 of each file (cache-relative path -> hex); missing ones are an InputError ({@link missingDataMessage}). */
export async function hashFiles(cacheDir: string, files: readonly string[]): Promise<Record<string, string>> {
  const missing: string[] = [];
  for (const f of files) if (!(await exists(join(cacheDir, f)))) missing.push(f);
  if (missing.length) throw new InputError(await missingDataMessage(cacheDir, missing));
  const out: Record<string, string> = {};
  for (const f of files) out[f] = await sha256File(join(cacheDir, f));
  return out;
}
