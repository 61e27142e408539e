/**
 * Hugging Face tokenizer models, each turning one pre-token into ids as the Rust library does:
 * - BPE: characters (with continuing_subword_prefix / end_of_word_suffix, unknown ones as the unk
 *   token or as <0xXX> byte tokens), then merges lowest rank first (merge.ts);
 * - WordPiece: greedy longest match from the left, `##` on continuations, unk for a word that fails;
 * - Unigram: the best-scoring segmentation (Viterbi), unknown characters at min score - 10, runs of
 *   them fused into one unk;
 * - WordLevel: the whole pre-token or unk.
 */
import { InputError } from "../util/errors.ts";
import { MAX_TOKENS } from "./bpe.ts";
import { applyMerges, type MergeTable } from "./merge.ts";
import { asSpec, booleanField, child, listField, type Spec, stringField, unsupported, type Where } from "./hf_spec.ts";

/** A model: one pre-token in, ids out. */
export interface HfModel {
  /** Token string -> id. */
  readonly vocab: ReadonlyMap<string, number>;
  tokenize(word: string): number[];
}

const KNOWN = ["BPE", "WordPiece", "Unigram", "WordLevel"];
const UTF8 = new TextEncoder();

/** The model of a tokenizer.json `model` field. */
export function buildModel(value: unknown, where: Where): HfModel {
  const spec = asSpec(value, where);
  switch (spec.type ?? inferType(spec)) {
    case "BPE":
      return bpe(spec, where);
    case "WordPiece":
      return wordPiece(spec, where);
    case "Unigram":
      return unigram(spec, where);
    case "WordLevel":
      return wordLevel(spec, where);
    default:
      throw unsupported(spec, where, KNOWN);
  }
}

/** Very old files leave out model.type; tell the model by its fields, as the Rust library does. */
function inferType(spec: Spec): string | undefined {
  if (Array.isArray(spec.merges)) return "BPE";
  if (typeof spec.continuing_subword_prefix === "string" && spec.max_input_chars_per_word !== undefined) {
    return "WordPiece";
  }
  if (Array.isArray(spec.vocab)) return "Unigram";
  return undefined;
}

/** A `{token: id}` vocabulary. */
function vocabMap(spec: Spec, where: Where): Map<string, number> {
  const v = asSpec(spec.vocab, child(where, "vocab"));
  const out = new Map<string, number>();
  for (const [token, id] of Object.entries(v)) {
    if (!Number.isInteger(id) || (id as number) < 0) {
      throw new InputError(`${where.path}.vocab[${JSON.stringify(token)}]: expected an id, got ${id}`, where.file);
    }
    out.set(token, id as number);
  }
  return out;
}

/** The id of the model's unk token (`fallback` when the field is absent); undefined when it has none. */
function unkId(vocab: ReadonlyMap<string, number>, spec: Spec, where: Where, fallback?: string): number | undefined {
  const token = spec.unk_token === undefined ? fallback : spec.unk_token;
  if (token === null || token === undefined) return undefined;
  if (typeof token !== "string") {
    throw new InputError(`${where.path}.unk_token: expected a string, got ${JSON.stringify(token)}`, where.file);
  }
  return vocab.get(token);
}

/** The error for a piece that needs the unk token when the model has none (raised only when needed, as in Rust). */
function noUnk(where: Where, what: string): InputError {
  return new InputError(`${where.path}: ${what} needs the unk token, which the model lacks`, where.file);
}

function bpe(spec: Spec, where: Where): HfModel {
  const vocab = vocabMap(spec, where);
  const dropout = spec.dropout ?? 0;
  if (dropout !== 0) {
    throw new InputError(`${where.path}.dropout: ${dropout} makes encoding random; expected null or 0`, where.file);
  }
  const largest = [...vocab.values()].reduce((a, b) => Math.max(a, b), -1);
  if (largest >= MAX_TOKENS) {
    throw new InputError(`${where.path}: ids up to ${largest}, at most ${MAX_TOKENS - 1} are supported`, where.file);
  }
  const prefix = spec.continuing_subword_prefix == null ? "" : stringField(spec, "continuing_subword_prefix", where);
  const suffix = spec.end_of_word_suffix == null ? "" : stringField(spec, "end_of_word_suffix", where);
  const unk = unkId(vocab, spec, where);
  const fuseUnk = booleanField(spec, "fuse_unk", where, false);
  const byteFallback = booleanField(spec, "byte_fallback", where, false);
  const ignoreMerges = booleanField(spec, "ignore_merges", where, false);

  const table: MergeTable = { rankOf: new Map(), mergeResult: new Int32Array(0) };
  const results: number[] = [];
  listField(spec, "merges", where).forEach((m, rank) => {
    const parts = typeof m === "string" ? splitMerge(m) : m;
    const [a, b] = Array.isArray(parts) && parts.length === 2 ? parts : [];
    const ids = [a, b, typeof a === "string" && typeof b === "string" ? a + b.slice(prefix.length) : undefined]
      .map((t) => (typeof t === "string" ? vocab.get(t) : undefined));
    if (ids.some((id) => id === undefined)) {
      throw new InputError(
        `${where.path}.merges[${rank}]: ${JSON.stringify(m)} does not join two vocab tokens into a vocab token`,
        where.file,
      );
    }
    table.rankOf.set((ids[0]! << 16) | ids[1]!, rank); // a repeated pair keeps its last rank, as in Rust
    results.push(ids[2]!);
  });
  table.mergeResult = Int32Array.from(results);

  const byteIds = byteFallback
    ? Array.from({ length: 256 }, (_, b) => vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`))
    : [];
  return {
    vocab,
    tokenize(word) {
      if (word.length === 0) return [];
      if (ignoreMerges) {
        const whole = vocab.get(word);
        if (whole !== undefined) return [whole];
      }
      const symbols: number[] = [];
      let pendingUnk = false; // an unknown character waiting to be written (or fused with the next)
      const chars = [...word];
      chars.forEach((ch, i) => {
        const s = (i > 0 ? prefix : "") + ch + (i === chars.length - 1 ? suffix : "");
        const id = vocab.get(s);
        if (id !== undefined) {
          if (pendingUnk) symbols.push(unk!);
          pendingUnk = false;
          symbols.push(id);
          return;
        }
        if (byteFallback) {
          const bytes = [...UTF8.encode(s)].map((b) => byteIds[b]);
          if (bytes.every((b) => b !== undefined)) {
            symbols.push(...(bytes as number[]));
            return;
          }
        }
        if (spec.unk_token == null) return; // no unk token: the character is dropped, as in Rust
        if (unk === undefined) throw noUnk(where, `character ${JSON.stringify(ch)}`);
        if (pendingUnk && !fuseUnk) symbols.push(unk);
        pendingUnk = true;
      });
      if (pendingUnk) symbols.push(unk!);
      return applyMerges(symbols, table);
    },
  };
}

/** "a b" -> ["a", "b"] (a merge string holds exactly one space). */
function splitMerge(m: string): string[] {
  const at = m.indexOf(" ");
  return at < 0 || m.indexOf(" ", at + 1) >= 0 ? [m] : [m.slice(0, at), m.slice(at + 1)];
}

function wordPiece(spec: Spec, where: Where): HfModel {
  const vocab = vocabMap(spec, where);
  const unk = unkId(vocab, spec, where, "[UNK]");
  const prefix = stringField(spec, "continuing_subword_prefix", where, "##");
  const maxChars = Number(spec.max_input_chars_per_word ?? 100);
  const unknown = () => {
    if (unk === undefined) throw noUnk(where, "a word outside the vocab");
    return [unk];
  };
  return {
    vocab,
    tokenize(word) {
      const chars = [...word];
      if (chars.length > maxChars) return unknown();
      const out: number[] = [];
      for (let start = 0; start < chars.length;) {
        let end = chars.length;
        let found: number | undefined;
        for (; end > start; end--) {
          found = vocab.get((start > 0 ? prefix : "") + chars.slice(start, end).join(""));
          if (found !== undefined) break;
        }
        if (found === undefined) return unknown();
        out.push(found);
        start = end;
      }
      return out;
    },
  };
}

/** Penalty of an unknown character below the lowest piece score (SentencePiece's kUnkPenalty). */
const UNK_PENALTY = 10;

function unigram(spec: Spec, where: Where): HfModel {
  const pieces = listField(spec, "vocab", where);
  const vocab = new Map<string, number>();
  const scores: number[] = [];
  let longest = 0;
  pieces.forEach((entry, id) => {
    const [piece, score] = Array.isArray(entry) ? entry : [];
    if (typeof piece !== "string" || typeof score !== "number") {
      throw new InputError(
        `${where.path}.vocab[${id}]: expected [piece, score], got ${JSON.stringify(entry)}`,
        where.file,
      );
    }
    vocab.set(piece, id); // a repeated piece keeps its last id, as in Rust
    scores.push(score);
    longest = Math.max(longest, [...piece].length);
  });
  const unk = spec.unk_id === null || spec.unk_id === undefined ? undefined : Number(spec.unk_id);
  if (unk !== undefined && !(Number.isInteger(unk) && unk >= 0 && unk < pieces.length)) {
    throw new InputError(`${where.path}.unk_id: ${JSON.stringify(spec.unk_id)} is not a vocab index`, where.file);
  }
  const byteFallback = booleanField(spec, "byte_fallback", where, false);
  const unkScore = scores.reduce((a, b) => Math.min(a, b), Infinity) - UNK_PENALTY;

  return {
    vocab,
    tokenize(word) {
      if (word.length === 0) return [];
      const chars = [...word];
      const n = chars.length;
      // best[i]: the best path over chars [0, i): its score, where its last piece starts, that piece's id.
      const score = new Float64Array(n + 1).fill(-Infinity);
      const from = new Int32Array(n + 1).fill(-1);
      const idAt = new Int32Array(n + 1).fill(-1);
      score[0] = 0;
      for (let start = 0; start < n; start++) {
        if (from[start] < 0 && start > 0) continue;
        let single = false;
        let piece = "";
        for (let end = start + 1; end <= Math.min(n, start + longest); end++) {
          piece += chars[end - 1];
          const id = vocab.get(piece);
          if (id === undefined) continue;
          const candidate = score[start] + scores[id];
          if (from[end] < 0 || candidate > score[end]) [score[end], from[end], idAt[end]] = [candidate, start, id];
          if (end === start + 1) single = true;
        }
        if (!single) {
          if (unk === undefined) throw noUnk(where, `character ${JSON.stringify(chars[start])}`);
          const candidate = score[start] + unkScore;
          if (from[start + 1] < 0 || candidate > score[start + 1]) {
            [score[start + 1], from[start + 1], idAt[start + 1]] = [candidate, start, unk];
          }
        }
      }
      // Walk back; runs of unknown characters become one piece, as Rust's fuse_unk does.
      const strings: string[] = [];
      let unknownRun = "";
      for (let end = n; end > 0; end = from[end]) {
        const text = chars.slice(from[end], end).join("");
        if (idAt[end] === unk) unknownRun = text + unknownRun;
        else {
          if (unknownRun) strings.push(unknownRun);
          unknownRun = "";
          strings.push(text);
        }
      }
      if (unknownRun) strings.push(unknownRun);
      strings.reverse();
      const out: number[] = [];
      for (const s of strings) {
        const id = vocab.get(s);
        if (id !== undefined) {
          out.push(id);
          continue;
        }
        if (byteFallback) {
          const bytes = [...UTF8.encode(s)].map((b) =>
            vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`)
          );
          if (bytes.every((b) => b !== undefined)) {
            out.push(...(bytes as number[]));
            continue;
          }
        }
        out.push(unk!); // only fused unknown runs are outside the vocab, and they exist only with an unk id
      }
      return out;
    },
  };
}

function wordLevel(spec: Spec, where: Where): HfModel {
  const vocab = vocabMap(spec, where);
  const unk = unkId(vocab, spec, where, "<unk>");
  return {
    vocab,
    tokenize(word) {
      const id = vocab.get(word) ?? unk;
      if (id === undefined) throw noUnk(where, JSON.stringify(word));
      return [id];
    },
  };
}
