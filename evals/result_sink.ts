/**
 * Where an evaluation stage puts its numbers: result rows (reports/rows.ts columns plus detail columns)
 * and timing rows, kept in memory and rewritten to results.csv and timings.csv after each task, so a
 * failed stage's partial folder still shows what was measured; and seed_summary.csv at the end.
 */
import { join } from "node:path";
import { OPTIONAL_RESULT_COLUMNS, RESULT_COLUMNS, writeCsvAtomic } from "../reports/rows.ts";
import { meanStd } from "./finetune_glue.ts";

/** A result or timing row. */
export type Row = Record<string, string | number>;

/** Result rows and timings of one evaluation stage. */
export class ResultSink {
  readonly rows: Row[] = [];
  readonly timings: Row[] = [];
  /** Lines about values that were not written. */
  readonly notes: string[] = [];

  constructor(
    readonly dir: string,
    readonly detailColumns: readonly string[],
    readonly timingColumns: readonly string[],
  ) {}

  /** Adds a row; a non-finite value is noted and left out (results.csv holds finite values only). */
  push(row: Row): void {
    if (typeof row.value === "number" && !Number.isFinite(row.value)) {
      const note =
        `${row.task} ${row.metric} seed ${row.seed} is ${row.value}; not written (results.csv holds finite values only)`;
      console.error(`note: ${note}`);
      this.notes.push(note);
      return;
    }
    this.rows.push(row);
  }

  /** Rewrites results.csv and timings.csv. */
  async flush(): Promise<void> {
    const optional = OPTIONAL_RESULT_COLUMNS.filter((c) =>
      !this.detailColumns.includes(c) && this.rows.some((r) => r[c] !== undefined && r[c] !== "")
    );
    await writeCsvAtomic(
      join(this.dir, "results.csv"),
      [...RESULT_COLUMNS, ...optional, ...this.detailColumns],
      this.rows,
    );
    await writeCsvAtomic(join(this.dir, "timings.csv"), [...this.timingColumns], this.timings);
  }

  /** Mean and std over seeds per task, metric and policy, as seed_summary.csv. */
  async writeSeedSummary(): Promise<void> {
    const groups = new Map<string, Row[]>();
    for (const r of this.rows) {
      const k = [r.task, r.metric, r.policy].join("\u0000");
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push(r);
    }
    const summary = [...groups.values()].map((g) => {
      const s = meanStd(g.map((r) => r.value as number));
      return {
        task: g[0].task,
        metric: g[0].metric,
        policy: g[0].policy,
        n: s.n,
        mean: s.mean,
        std: g.length > 1 ? s.std : NaN,
        seeds: g.map((r) => r.seed).join(" "),
      };
    });
    await writeCsvAtomic(
      join(this.dir, "seed_summary.csv"),
      ["task", "metric", "policy", "n", "mean", "std", "seeds"],
      summary,
    );
  }
}
