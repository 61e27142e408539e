/**
 * The progress display: the stage kind, the run within it, how far the stage is, and an ETA for the
 * whole pipeline. The ETA starts from each stage's estimate (the profile's throughput guesses); once a
 * stage of a kind has run, the rest of that kind are rescaled by its measured / estimated time.
 */
import { formatDuration } from "../util/format.ts";

/** One line of progress; `index` counts from 1. */
export interface ProgressState {
  index: number;
  total: number;
  kind: string;
  run: string;
  /** Share of the current stage done, when known. */
  stageFraction?: number;
  elapsedSeconds: number;
  etaSeconds: number;
}

/** Formats a progress line, e.g. "[3/17] pretrain encoder-cwt-s0 45% | elapsed 1m23s | ETA 12m30s". */
export function formatProgress(s: ProgressState): string {
  const pct = s.stageFraction === undefined ? "" : ` ${(100 * s.stageFraction).toFixed(0)}%`;
  return `[${s.index}/${s.total}] ${s.kind} ${s.run}${pct} | elapsed ${formatDuration(s.elapsedSeconds)} | ETA ${
    formatDuration(s.etaSeconds)
  }`;
}

/** Tracks estimates against actual times, per stage kind, and prints progress to stderr. */
export class Progress {
  #t0 = performance.now();
  /** Per kind: estimated and actual seconds of the stages run so far, and estimated seconds still to run. */
  #kinds = new Map<string, { estimated: number; actual: number; remaining: number }>();
  #state: Omit<ProgressState, "elapsedSeconds" | "etaSeconds"> | null = null;
  #stageEstimate = 0;
  #stageStart = 0;
  #lastPrint = 0;
  #tty: boolean;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Every progress line printed (for tests and logs). */
  readonly lines: string[] = [];
  readonly total: number;

  /** `stages`: every stage of the run, in order, with its kind and estimate in seconds. */
  constructor(stages: readonly { kind: string; estimateSeconds: number }[], private readonly quiet = false) {
    this.total = stages.length;
    for (const s of stages) this.#kind(s.kind).remaining += s.estimateSeconds;
    this.#tty = !quiet && Deno.stderr.isTerminal();
  }

  #kind(kind: string) {
    if (!this.#kinds.has(kind)) this.#kinds.set(kind, { estimated: 0, actual: 0, remaining: 0 });
    return this.#kinds.get(kind)!;
  }

  /** Measured / estimated time of the stages of `kind` run so far (1 before one has finished). */
  scale(kind: string): number {
    const k = this.#kind(kind);
    return k.estimated > 0 ? Math.max(0.05, k.actual / k.estimated) : 1;
  }

  /**
   * The ETA of the whole pipeline now. A running stage that reports its progress counts with its
   * projected time, both for itself and for the scale of its kind.
   */
  eta(): number {
    if (!this.#state) {
      let left = 0;
      for (const [kind, k] of this.#kinds) left += k.remaining * this.scale(kind);
      return left;
    }
    const inStage = (performance.now() - this.#stageStart) / 1000;
    const f = this.#state.stageFraction;
    const projected = f !== undefined && f > 0.02 ? inStage / f : undefined;
    let left = 0;
    for (const [kind, k] of this.#kinds) {
      let scale = this.scale(kind);
      let remaining = k.remaining;
      if (kind === this.#state.kind) {
        remaining -= this.#stageEstimate;
        if (projected !== undefined) {
          scale = Math.max(0.05, (k.actual + projected) / (k.estimated + this.#stageEstimate));
        }
      }
      left += remaining * scale;
    }
    const stageLeft = projected !== undefined
      ? projected - inStage
      : Math.max(0, this.#stageEstimate * this.scale(this.#state.kind) - inStage);
    return left + stageLeft;
  }

  /** A stage starts. */
  start(index: number, kind: string, run: string, estimateSeconds: number): void {
    this.#state = { index, total: this.total, kind, run };
    this.#stageEstimate = estimateSeconds;
    this.#stageStart = performance.now();
    this.print(true);
    if (this.#tty && this.#timer === undefined) this.#timer = setInterval(() => this.print(false), 1000);
  }

  /** The running stage reports how far it is. */
  update(stageFraction: number): void {
    if (!this.#state) return;
    this.#state.stageFraction = Math.min(1, Math.max(0, stageFraction));
    this.print(false);
  }

  /** A stage was found finished: its estimate leaves the ETA. */
  skip(kind: string, estimateSeconds: number): void {
    this.#kind(kind).remaining -= estimateSeconds;
  }

  /** The running stage ended. */
  finish(): void {
    if (!this.#state) return;
    const k = this.#kind(this.#state.kind);
    k.estimated += this.#stageEstimate;
    k.actual += (performance.now() - this.#stageStart) / 1000;
    k.remaining -= this.#stageEstimate;
    this.#state = null;
  }

  /** Stops the timer and ends the rewritten line. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#tty) Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  }

  /** Prints a message on its own line (keeps the progress line intact on a terminal). */
  message(text: string): void {
    if (this.quiet) return;
    if (this.#tty) Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K${text}\n`));
    else console.error(text);
    this.print(true);
  }

  private print(force: boolean): void {
    if (this.quiet || !this.#state) return;
    const now = performance.now();
    if (!force && now - this.#lastPrint < (this.#tty ? 500 : 30_000)) return;
    this.#lastPrint = now;
    const line = formatProgress({ ...this.#state, elapsedSeconds: (now - this.#t0) / 1000, etaSeconds: this.eta() });
    this.lines.push(line);
    if (this.#tty) Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K${line}`));
    else console.error(line);
  }
}
