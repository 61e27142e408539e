/**
 * A BLiMP subset as a multiple-choice JSONL file for `deno task mc` (notes/recipe.md): the first N pairs
 * of each of the 67 paradigms, each pair one item with an empty context and the options [good, bad]
 * (gold 0). mc's `acc` (summed log-likelihood) is then BLiMP's accuracy as lm-evaluation-harness scores it.
 *
 *   deno run -A bench/recipe/blimp_items.ts --per-set 100 --out runs/recipe/blimp100.jsonl
 */
import { blimpTask, loadMinimalPairs } from "../../data/blimp.ts";
import { resolveCacheDir } from "../../data/cache.ts";
import { integerFlag, parseFlags, requiredFlag, runMain } from "../../util/cli.ts";
import { writeFileAtomic } from "../../util/fs.ts";

const FLAGS = {
  "per-set": { type: "string", default: "100", help: "pairs taken from the start of each paradigm" },
  out: { type: "string", help: "JSONL file to write (required)" },
  "cache-dir": { type: "string", help: "evaluation-data cache (default $HEADLESS_BENCH_DATA)" },
} as const;

async function main() {
  const { values: v } = parseFlags("bench/recipe/blimp_items", FLAGS);
  const perSet = integerFlag("per-set", v["per-set"], 1);
  const cacheDir = resolveCacheDir(v["cache-dir"] as string | undefined);
  const task = blimpTask();
  const lines: string[] = [];
  for (const paradigm of Object.keys(task.splits)) {
    for (const { good, bad } of (await loadMinimalPairs(cacheDir, paradigm, task)).slice(0, perSet)) {
      lines.push(JSON.stringify({ context: "", options: [good, bad], gold: 0 }));
    }
  }
  await writeFileAtomic(requiredFlag("out", v.out), lines.join("\n") + "\n");
  console.log(`${lines.length} items from ${Object.keys(task.splits).length} paradigms`);
}

if (import.meta.main) await runMain(main);
