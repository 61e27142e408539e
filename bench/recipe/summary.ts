/**
 * Tables for notes/recipe.md from the sweep's folders: each pretraining run's checkpoints (tokens, valid
 * loss, tokens/s), and each evaluation folder's scores as mean ± sd over fine-tuning seeds, beside a
 * reference folder's (random-init) with the difference and its Welch 95% interval.
 *
 *   deno run -A bench/recipe/summary.ts --root runs/recipe --reference rinit
 *
 * Evaluation folders are named `<run>.f<fraction>.<taskset>` under ROOT/ft and ROOT/mc; the reference is
 * the run whose folders (same taskset) every other row is compared with.
 */
import { basename, join } from "node:path";
import { readResults, type ResultRow } from "../../results/rows.ts";
import { parseFlags, runMain } from "../../util/cli.ts";
import { exists } from "../../util/fs.ts";

const FLAGS = {
  root: { type: "string", default: "runs/recipe", help: "folder holding pt/, ft/ and mc/" },
  reference: { type: "string", default: "rinit", help: "run name of the reference (random-init) folders" },
  policy: { type: "string", default: "last-epoch", help: "fine-tuning epoch policy shown" },
} as const;

/** Mean and sample standard deviation. */
export function meanSd(xs: number[]): { mean: number; sd: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, sd, n };
}

/** Two-sided 97.5% quantile of Student's t for `df` degrees of freedom (table, then the normal's 1.96). */
export function t975(df: number): number {
  const table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];
  if (!(df >= 1)) return NaN;
  return df <= 10 ? table[Math.floor(df) - 1] : 1.96 + 2.4 / df;
}

/** Difference of means a − b and its Welch 95% half-width (NaN with fewer than 2 values on a side). */
export function welch(a: number[], b: number[]): { diff: number; half: number } {
  const x = meanSd(a);
  const y = meanSd(b);
  const va = x.sd ** 2 / x.n;
  const vb = y.sd ** 2 / y.n;
  const df = (va + vb) ** 2 / (va ** 2 / (x.n - 1) + vb ** 2 / (y.n - 1));
  return { diff: x.mean - y.mean, half: t975(df) * Math.sqrt(va + vb) };
}

async function folders(dir: string): Promise<string[]> {
  if (!(await exists(dir))) return [];
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isDirectory && !e.name.endsWith(".partial")) out.push(e.name);
  return out.sort();
}

async function checkpointTable(root: string): Promise<string[]> {
  const lines = [
    "| run | fraction | step | tokens | valid loss | train s | tokens/s |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const run of await folders(join(root, "pt"))) {
    const csv = join(root, "pt", run, "checkpoints.csv");
    if (!(await exists(csv))) continue;
    const [head, ...rows] = (await Deno.readTextFile(csv)).trim().split("\n").map((l) => l.split(","));
    const col = (r: string[], k: string) => r[head.indexOf(k)];
    for (const r of rows) {
      const tokens = Number(col(r, "tokens"));
      const seconds = Number(col(r, "seconds"));
      lines.push(
        `| ${run} | ${col(r, "fraction")} | ${col(r, "step")} | ${tokens.toLocaleString("en")} | ${
          Number(col(r, "valid_loss")).toFixed(3)
        } | ${seconds.toFixed(0)} | ${(tokens / seconds).toFixed(0)} |`,
      );
    }
  }
  return lines;
}

async function scoreTable(root: string, reference: string, policy: string): Promise<string[]> {
  const groups = new Map<
    string,
    { run: string; frac: string; set: string; task: string; metric: string; tokens: number; values: number[] }
  >();
  for (const kind of ["ft", "mc"]) {
    for (const name of await folders(join(root, kind))) {
      const m = /^(.+)\.f([0-9.]+)\.([^.]+)$/.exec(name);
      const csv = join(root, kind, name, "results.csv");
      if (!m || !(await exists(csv))) continue;
      const rows: ResultRow[] = await readResults(csv);
      // The majority-class row an evaluation folder also holds is a reference, not a seed of this run.
      const scored = rows.filter((r) => r.objective !== "majority" && (r.policy === "" || r.policy === policy));
      for (const r of scored) {
        const key = [m[1], m[2], m[3], r.task, r.metric].join("|");
        if (!groups.has(key)) {
          groups.set(key, {
            run: m[1],
            frac: m[2],
            set: m[3],
            task: r.task,
            metric: r.metric,
            tokens: r.tokens,
            values: [],
          });
        }
        groups.get(key)!.values.push(r.value * 100);
      }
    }
  }
  const refOf = (task: string, metric: string) =>
    [...groups.values()].find((g) => g.run === reference && g.task === task && g.metric === metric);
  const lines = [
    `| run | fraction | tokens | task | metric | mean ± sd (n) | − ${reference} [95% CI] |`,
    "|---|---|---|---|---|---|---|",
  ];
  for (const g of [...groups.values()].sort((a, b) => (a.task + a.run).localeCompare(b.task + b.run))) {
    const s = meanSd(g.values);
    const ref = refOf(g.task, g.metric);
    const d = ref && g.run !== reference ? welch(g.values, ref.values) : undefined;
    const ci = d
      ? `${d.diff >= 0 ? "+" : ""}${d.diff.toFixed(1)} ${
        Number.isFinite(d.half) ? `[${(d.diff - d.half).toFixed(1)}, ${(d.diff + d.half).toFixed(1)}]` : ""
      }`
      : "";
    lines.push(
      `| ${g.run} | ${g.frac} | ${g.tokens.toLocaleString("en")} | ${g.task} | ${g.metric} | ${s.mean.toFixed(1)} ± ${
        Number.isFinite(s.sd) ? s.sd.toFixed(1) : "–"
      } (${s.n}) | ${ci} |`,
    );
  }
  return lines;
}

async function main() {
  const { values: v } = parseFlags("bench/recipe/summary", FLAGS);
  const root = v.root as string;
  console.log(`## Pretraining checkpoints (${basename(root)}/pt)\n`);
  console.log((await checkpointTable(root)).join("\n"));
  console.log(`\n## Scores (${v.policy}; ${basename(root)}/ft, ${basename(root)}/mc)\n`);
  console.log((await scoreTable(root, v.reference as string, v.policy as string)).join("\n"));
}

if (import.meta.main) await runMain(main);
