/**
 * A stage: one kind of artifact, made by a library function from a typed spec. The spec is both what is
 * hashed into the artifact's key and what runs; the folders it reads are its inputs, named.
 */

/** Where a running stage reports how far it is and what it has to say. */
export interface ProgressSink {
  /** Share of the stage done, 0..1. */
  fraction(f: number): void;
  /** One line for the user (kept out of the way of the progress line). */
  say(text: string): void;
}

/** What a stage's run gets besides its spec. */
export interface StageIO {
  /** The folder to write into (a partial folder, renamed into place when the run returns). */
  out: string;
  /** The folders it reads, by input name. */
  inputs: Record<string, string>;
  /**
   * The evaluation-data cache folder. Where it is does not change a result, so it is not hashed: a spec
   * that reads cache files carries their sha256 instead.
   */
  cacheDir: string;
  progress: ProgressSink;
}

/** A stage kind. Its module exports it as `stage`, so a worker process can load it by module path. */
export interface Stage<S> {
  /** The artifact kind, e.g. "pretrain"; also the folder under runs/ or stages/. */
  kind: string;
  /** `import.meta.url` of the module that exports it as `stage`. */
  module: string;
  /** A partial folder left by a killed run is kept and the run resumes in it (else it is emptied). */
  resumable?: boolean;
  /** Run in a child process of its own (a fresh wasm heap, killed with its parent) when the pipeline runs it. */
  isolate?: boolean;
  /** Does the work; what it returns goes into the record's `details`. */
  run(spec: S, io: StageIO): Promise<unknown>;
}

/** A sink that prints nothing. */
export const SILENT: ProgressSink = { fraction: () => {}, say: () => {} };

/** A sink that prints what is said to stderr and ignores fractions. */
export const STDERR: ProgressSink = { fraction: () => {}, say: (t) => console.error(t) };
