/**
 * Loading a pretraining checkpoint (train/checkpoint.ts) for evaluation, with clear errors when it does
 * not fit what the evaluation needs:
 * - the architecture (GLUE needs an encoder, LAMBADA a decoder);
 * - the tensors (every model parameter present with its shape, nothing foreign);
 * - the tokenizer: its vocabulary size must be the model's, and its sha256 the one the checkpoint was
 *   trained with;
 * - the folder itself (train/checkpoint.ts): meta.json and tensors.bin must match the folder's record,
 *   and every weight must be finite (a diverged run is refused, not scored as accuracy 0).
 *
 * Where the tokenizer hash comes from: a checkpoint's settings hold the sha256 of its token folder's
 * manifest.json (`settings.tokens.manifestSha256`), and that manifest holds the tokenizer's sha256. The
 * manifest is looked for in the token folder that the pretraining artifact's record names as its input
 * (`<run>/artifact.json`), then beside the tokenizer file given; only a manifest whose own sha256 matches
 * the checkpoint's is believed.
 */
import * as tf from "@tensorflow/tfjs";
import { dirname, join, resolve } from "node:path";
import { owningArtifact } from "../artifacts/store.ts";
import { type Arch, type ModelConfig, validateModelConfig } from "../models/config.ts";
import { createModel, type Model, TARGET_EMBEDDING } from "../models/transformer.ts";
import { type CheckpointMeta, readCheckpoint, readCheckpointMeta, scanCheckpoints } from "../train/checkpoint.ts";
import { readTokenManifest } from "../train/token_stream.ts";
import { InputError } from "../util/errors.ts";
import { exists, sha256File } from "../util/fs.ts";

/** Where the tokenizer hash of a checkpoint was found. */
export interface CheckpointTokenizer {
  /** sha256 of the tokenizer.json the checkpoint was trained with. */
  sha256: string;
  /** The token folder whose manifest vouched for it. */
  tokensDir: string;
  vocabSize: number;
}

/** What a checkpoint holds, read from meta.json. */
export interface CheckpointSummary {
  /** The checkpoint folder (ckpt/frac-F or ckpt/latest). */
  dir: string;
  config: ModelConfig;
  /** Pretraining objective as recorded ("softmax", "cwt"). */
  objective: string;
  /** sha256 of the token folder manifest the run trained on. */
  tokensManifestSha256: string | null;
  meta: CheckpointMeta;
  /** Parameter names stored (without the `param/` prefix). */
  paramNames: string[];
  /** True when the checkpoint stores a softmax head's own parameters (`head.*`). */
  hasHeadParams: boolean;
}

/** A tokenizer as the checks see it. */
export interface TokenizerFacts {
  file: string;
  sha256: string;
  vocabSize: number;
}

const PARAM = "param/";

/**
 * Resolves `path` to a checkpoint folder: itself when it holds meta.json, else (a run folder) the
 * checkpoint with the most steps under `path/ckpt`, provided every checkpoint there verifies (one that
 * does not may be the newest: it is not silently passed over).
 */
export async function resolveCheckpointDir(path: string): Promise<string> {
  if (await exists(join(path, "meta.json"))) return path;
  const { checkpoints, rejected } = await scanCheckpoints(join(path, "ckpt"));
  if (rejected.length) {
    throw new InputError(
      `${rejected[0].reason}; run the same pretraining command again to clear it (it removes what does not verify ` +
        `and redoes that part), or name a checkpoint folder`,
    );
  }
  const newest = checkpoints.at(-1);
  if (newest) return newest.dir;
  throw new InputError(
    `not a checkpoint: no meta.json here and no checkpoint under ckpt/; expected a checkpoint folder or a pretraining run folder`,
    path,
  );
}

/** Reads a checkpoint's metadata: its model config, objective and stored parameters. */
export async function describeCheckpoint(path: string): Promise<CheckpointSummary> {
  const dir = await resolveCheckpointDir(resolve(path));
  const meta = await readCheckpointMeta(dir);
  const file = join(dir, "meta.json");
  const settings = (meta.settings ?? {}) as Record<string, unknown>;
  const raw = settings.model;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new InputError(`settings.model: expected the model config the run was trained with`, file);
  }
  const config = validateModelConfig(raw as Record<string, unknown>, `${file} (settings.model)`);
  const tokens = settings.tokens as { manifestSha256?: unknown } | undefined;
  const paramNames = meta.tensors.filter((t) => t.name.startsWith(PARAM)).map((t) => t.name.slice(PARAM.length));
  if (paramNames.length === 0) throw new InputError(`no param/* tensors: not a model checkpoint`, file);
  return {
    dir,
    config,
    objective: typeof settings.objective === "string" ? settings.objective : "unknown",
    tokensManifestSha256: typeof tokens?.manifestSha256 === "string" ? tokens.manifestSha256 : null,
    meta,
    paramNames,
    hasHeadParams: paramNames.some((n) => n.startsWith("head.")),
  };
}

/** Errors unless the checkpoint is an `expected` model; `purpose` says what needs it ("GLUE fine-tuning"). */
export function checkArchitecture(summary: CheckpointSummary, expected: Arch, purpose: string): void {
  const c = summary.config;
  if (c.arch !== expected) {
    throw new InputError(
      `${purpose} needs an ${expected}, but the checkpoint is a ${c.arch} (model ${c.name}, ${summary.objective} objective)`,
      summary.dir,
    );
  }
}

/**
 * Token folder candidates for a checkpoint: the `tokens` input recorded by the pretraining artifact that
 * holds it (artifacts/record.ts), then the folder of the tokenizer file given.
 */
async function tokenFolderCandidates(summary: CheckpointSummary, tokenizerFile?: string): Promise<string[]> {
  const out: string[] = [];
  const owner = await owningArtifact(summary.dir);
  const tokens = owner?.record.inputs.tokens;
  if (owner && tokens?.path) out.push(resolve(owner.dir, tokens.path));
  if (tokenizerFile) out.push(dirname(tokenizerFile));
  return out;
}

/**
 * The tokenizer the checkpoint was trained with, from the first token folder manifest whose sha256 is
 * the checkpoint's `settings.tokens.manifestSha256`; null when none is found.
 */
export async function findCheckpointTokenizer(
  summary: CheckpointSummary,
  tokenizerFile?: string,
): Promise<CheckpointTokenizer | null> {
  if (!summary.tokensManifestSha256) return null;
  for (const dir of await tokenFolderCandidates(summary, tokenizerFile)) {
    if (!(await exists(join(dir, "manifest.json")))) continue;
    const { manifest, sha256 } = await readTokenManifest(dir);
    if (sha256 === summary.tokensManifestSha256) {
      return { sha256: manifest.tokenizer.sha256, tokensDir: dir, vocabSize: manifest.vocabSize };
    }
  }
  return null;
}

/** Reads a tokenizer file's facts: its sha256 and (given) vocabulary size. */
export async function tokenizerFacts(file: string, vocabSize: number): Promise<TokenizerFacts> {
  if (!(await exists(file))) throw new InputError(`tokenizer file not found`, file);
  return { file, sha256: await sha256File(file), vocabSize };
}

/**
 * Errors unless `tokenizer` is the checkpoint's: same vocabulary size as the model, and the sha256 the
 * checkpoint's token folder records. Returns where the checkpoint's tokenizer hash was found.
 */
export async function checkTokenizer(
  summary: CheckpointSummary,
  tokenizer: TokenizerFacts,
): Promise<CheckpointTokenizer> {
  const c = summary.config;
  if (tokenizer.vocabSize !== c.vocabSize) {
    throw new InputError(
      `vocabulary mismatch: the tokenizer has ${tokenizer.vocabSize} tokens but the checkpoint's model ${c.name} has vocabSize ${c.vocabSize} ` +
        `(checkpoint ${summary.dir})`,
      tokenizer.file,
    );
  }
  const trained = await findCheckpointTokenizer(summary, tokenizer.file);
  if (!trained) {
    throw new InputError(
      `cannot tell which tokenizer checkpoint ${summary.dir} was trained with: no token folder manifest with sha256 ` +
        `${
          summary.tokensManifestSha256 ?? "(none recorded)"
        } was found (looked in the run's recorded token folder and beside the tokenizer); ` +
        `pass the tokenizer.json of the token folder the checkpoint was trained on`,
      tokenizer.file,
    );
  }
  if (trained.sha256 !== tokenizer.sha256) {
    throw new InputError(
      `tokenizer mismatch: this tokenizer's sha256 is ${tokenizer.sha256}, but checkpoint ${summary.dir} was trained with ` +
        `tokenizer sha256 ${trained.sha256} (from ${join(trained.tokensDir, "manifest.json")})`,
      tokenizer.file,
    );
  }
  return trained;
}

/** Options of {@link loadCheckpointModel}. */
export interface LoadModelOptions {
  /** Changes to the stored config before building (e.g. `{ tieHead: false }` for a headless decoder). */
  override?: Partial<Pick<ModelConfig, "tieHead">>;
}

/**
 * Builds the checkpoint's model and loads its parameters. A tensor the model lacks, a parameter the
 * checkpoint lacks, or a shape that differs is an InputError naming the tensor (the checkpoint is
 * then not of this architecture). The softmax head (and an `nce-untied` target embedding) is built only
 * when the checkpoint stores it.
 */
export async function loadCheckpointModel(summary: CheckpointSummary, options: LoadModelOptions = {}): Promise<Model> {
  const config: ModelConfig = { ...summary.config, ...options.override };
  const { meta, tensors } = await readCheckpoint(summary.dir);
  const model = createModel(config, 0, {
    head: summary.hasHeadParams,
    targetEmbedding: summary.paramNames.includes(TARGET_EMBEDDING),
  });
  try {
    const shapes = new Map(meta.tensors.map((t) => [t.name, t.shape]));
    const problems: string[] = [];
    for (const name of summary.paramNames) {
      if (!model.params.has(name)) problems.push(`tensor ${PARAM}${name} is not a parameter of the model`);
    }
    for (const [name, p] of model.params) {
      const shape = shapes.get(PARAM + name);
      if (!shape) problems.push(`parameter ${name} ${JSON.stringify(p.shape)} is missing`);
      else if (JSON.stringify(shape) !== JSON.stringify(p.shape)) {
        problems.push(
          `parameter ${name} has shape ${JSON.stringify(shape)}, the model expects ${JSON.stringify(p.shape)}`,
        );
      }
    }
    if (problems.length) {
      throw new InputError(
        `checkpoint does not fit ${
          config.arch === "encoder" ? "an" : "a"
        } ${config.arch} of config ${config.name} (${config.layers} layers, d ${config.dModel}, ` +
          `vocab ${config.vocabSize}): ${problems.slice(0, 5).join("; ")}${
            problems.length > 5 ? `; and ${problems.length - 5} more` : ""
          }`,
        summary.dir,
      );
    }
    for (const [name, p] of model.params) {
      tf.tidy(() => p.assign(tf.tensor(tensors.get(PARAM + name)!, p.shape, "float32")));
    }
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** A model's parameters as plain arrays, to build fresh copies of it (one per fine-tuning seed). */
export function modelSnapshot(model: Model): Map<string, Float32Array> {
  return new Map([...model.params].map(([name, p]) => [name, Float32Array.from(p.dataSync() as Float32Array)]));
}

/** A new model of `config` holding `snapshot`'s values (head built when the snapshot has head tensors). */
export function modelFromSnapshot(config: ModelConfig, snapshot: Map<string, Float32Array>): Model {
  const model = createModel(config, 0, {
    head: [...snapshot.keys()].some((n) => n.startsWith("head.")),
    targetEmbedding: snapshot.has(TARGET_EMBEDDING),
  });
  for (const [name, p] of model.params) {
    const data = snapshot.get(name);
    if (!data || data.length !== p.size) {
      model.dispose();
      throw new Error(`snapshot has no ${name} of size ${p.size}`);
    }
    tf.tidy(() => p.assign(tf.tensor(data, p.shape, "float32")));
  }
  return model;
}
