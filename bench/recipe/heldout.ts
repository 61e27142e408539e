/**
 * Tuning splits for the recipe sweep (notes/recipe.md): a GLUE task's training file split into a smaller
 * training file and a held-out "dev" file, written as a custom task folder (spec.json, train.tsv,
 * dev.tsv) that `deno task evaluate --tasks FOLDER/spec.json` fine-tunes on. The sweep tunes on these,
 * never on the GLUE dev sets the reports show.
 *
 *   deno run -A bench/recipe/heldout.ts --task stsb --holdout 1000 --out runs/recipe/heldout
 */
import { join } from "node:path";
import { requireCached, resolveCacheDir } from "../../data/cache.ts";
import { glueTask, isGlueTask } from "../../data/glue.ts";
import { decodeUtf8, readBytes, splitLines } from "../../data/tsv.ts";
import { integerFlag, parseFlags, requiredFlag, runMain } from "../../util/cli.ts";
import { InputError } from "../../util/errors.ts";
import { writeFileAtomic, writeJsonAtomic } from "../../util/fs.ts";
import { Rng } from "../../util/rng.ts";

const FLAGS = {
  task: { type: "string", help: "GLUE task with a train split in the cache, e.g. stsb, sst2 (required)" },
  holdout: { type: "string", default: "1000", help: "training lines moved into the held-out dev file" },
  seed: { type: "string", default: "0", help: "seed of the held-out sample" },
  out: { type: "string", default: "runs/recipe/heldout", help: "parent folder; the task folder is <out>/<task>" },
  "cache-dir": { type: "string", help: "evaluation-data cache (default $HEADLESS_BENCH_DATA)" },
} as const;

/** Splits data lines into (kept, held out): `holdout` lines drawn without replacement with `seed`. */
export function holdOut(lines: string[], holdout: number, seed: number): { train: string[]; dev: string[] } {
  if (holdout <= 0 || holdout >= lines.length) {
    throw new InputError(`--holdout ${holdout} must lie between 1 and ${lines.length - 1} (the training lines)`);
  }
  const order = new Rng(seed).shuffle([...lines.keys()]);
  const held = new Set(order.slice(0, holdout));
  return {
    train: lines.filter((_, i) => !held.has(i)),
    dev: lines.filter((_, i) => held.has(i)),
  };
}

async function main() {
  const { values: v } = parseFlags("bench/recipe/heldout", FLAGS);
  const name = requiredFlag("task", v.task);
  if (!isGlueTask(name)) throw new InputError(`--task ${name} is not a GLUE task`);
  const spec = glueTask(name);
  const cacheDir = resolveCacheDir(v["cache-dir"] as string | undefined);
  const file = await requireCached(cacheDir, spec.splits.train);
  const text = decodeUtf8(await readBytes(file), file);
  const all = splitLines(text).filter((l) => l.trim() !== "");
  const header = spec.header ? all.slice(0, 1) : [];
  const { train, dev } = holdOut(
    all.slice(header.length),
    integerFlag("holdout", v.holdout, 1),
    integerFlag("seed", v.seed, 0),
  );
  const dir = join(v.out as string, name);
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, "train.tsv"), [...header, ...train].join("\n") + "\n");
  await writeFileAtomic(join(dir, "dev.tsv"), [...header, ...dev].join("\n") + "\n");
  const { splits: _, devSets: _d, ...rest } = spec;
  await writeJsonAtomic(join(dir, "spec.json"), {
    ...rest,
    name: `${name}-heldout`,
    description:
      `${spec.name} train split into ${train.length} training and ${dev.length} held-out lines (seed ${v.seed}) for tuning`,
    splits: { train: "train.tsv", dev: "dev.tsv" },
  });
  console.log(`${dir}: ${train.length} train, ${dev.length} held-out dev lines`);
}

if (import.meta.main) await runMain(main);
