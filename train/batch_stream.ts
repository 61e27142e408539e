/**
 * Micro-batches for one architecture: windows from the seeded data order, framed and masked (encoder)
 * or split into inputs/targets (decoder) by the model kit. Its whole state is the data cursor plus
 * the masking Rng's state, so it can be checkpointed and restored exactly.
 */
import { InputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import type { Arch, LmBatch, ModelKit } from "./model_kit.ts";
import { mix32 } from "./permutation.ts";
import {
  frameEncoderRow,
  leadingWindows,
  type StreamCursor,
  type TokenSplit,
  WINDOW_SHAPE,
  WindowStream,
} from "./token_stream.ts";

/** Checkpointable state of a BatchStream. */
export interface DataState {
  cursor: StreamCursor;
  maskRngState: number;
}

/** Fixed seed of the validation masks: the same masks for every evaluation and every run seed. */
const VALID_MASK_SEED = 0x5eed;

function toBatch(kit: ModelKit, arch: Arch, windows: Int32Array[], rng: Rng, vocabSize: number): LmBatch {
  return arch === "decoder"
    ? kit.makeDecoderBatch(windows)
    : kit.makeEncoderBatch(windows.map(frameEncoderRow), rng, vocabSize);
}

/** Training micro-batches in the seeded order. */
export class BatchStream {
  readonly windows: WindowStream;
  readonly maskRng: Rng;

  constructor(
    readonly kit: ModelKit,
    readonly arch: Arch,
    split: TokenSplit,
    readonly opts: { seqLen: number; batch: number; seed: number; vocabSize: number },
    state?: DataState,
  ) {
    const { length, stride } = WINDOW_SHAPE[arch](opts.seqLen);
    this.windows = new WindowStream(split, length, stride, opts.seed, state?.cursor);
    this.maskRng = new Rng(mix32(opts.seed ^ 0x6d61736b));
    if (state) this.maskRng.state = state.maskRngState;
  }

  /** The next micro-batch. */
  next(): LmBatch {
    const windows = Array.from({ length: this.opts.batch }, () => this.windows.next());
    return toBatch(this.kit, this.arch, windows, this.maskRng, this.opts.vocabSize);
  }

  /** A copy of the current state. */
  state(): DataState {
    return { cursor: { ...this.windows.cursor }, maskRngState: this.maskRng.state };
  }
}

/**
 * Validation micro-batches: the first `batches*batch` windows of the split in file order (fewer if
 * it is short; at least one window or an error), encoder masks from a fixed seed.
 */
export function validationBatches(
  kit: ModelKit,
  arch: Arch,
  split: TokenSplit,
  opts: { seqLen: number; batch: number; batches: number; vocabSize: number; source?: string },
): LmBatch[] {
  const { length, stride } = WINDOW_SHAPE[arch](opts.seqLen);
  const windows = leadingWindows(split, length, stride, opts.batches * opts.batch);
  if (windows.length === 0) {
    throw new InputError(`the valid split (${split.length} tokens) holds no window of ${length} tokens`, opts.source);
  }
  const rng = new Rng(VALID_MASK_SEED);
  const out: LmBatch[] = [];
  for (let i = 0; i < windows.length; i += opts.batch) {
    out.push(toBatch(kit, arch, windows.slice(i, i + opts.batch), rng, opts.vocabSize));
  }
  return out;
}
