/**
 * The roles special tokens play here (padding, [CLS], [SEP], [MASK], end of text), found in any
 * tokenizer by the usual names: BERT's [CLS], RoBERTa's <s>, GPT-2's <|endoftext|> and so on. Only
 * tokens marked special count, so an ordinary word spelt "<s>" is never taken for one.
 */
import { InputError } from "../util/errors.ts";
import { CLS_ID, MASK_ID, PAD_ID, SEP_ID } from "./specials.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** A role a special token can play. */
export type SpecialRole = "pad" | "cls" | "sep" | "mask" | "eot";

/** Token strings accepted for each role, in order of preference. */
export const ROLE_NAMES: Readonly<Record<SpecialRole, readonly string[]>> = {
  pad: ["[PAD]", "<pad>", "<|pad|>", "<|padding|>"],
  cls: ["[CLS]", "<s>", "<cls>", "[BOS]", "<|startoftext|>"],
  sep: ["[SEP]", "</s>", "<sep>"],
  mask: ["[MASK]", "<mask>", "<|mask|>"],
  eot: ["<|endoftext|>", "</s>", "<eos>", "[EOS]", "<|end_of_text|>", "<|eot_id|>"],
};

/** A special token: its id and its text. */
export interface SpecialToken {
  id: number;
  token: string;
}

/** The special tokens found for each role (a role with none is absent). */
export type SpecialTokens = Partial<Record<SpecialRole, SpecialToken>>;

/** The roles each architecture needs: an encoder frames and masks, a decoder separates documents. */
export const ROLES_NEEDED = {
  encoder: ["pad", "cls", "sep", "mask"],
  decoder: ["eot"],
} as const satisfies Record<"encoder" | "decoder", readonly SpecialRole[]>;

/** The special tokens an `A` needs, each present. */
export type RequiredSpecials<A extends "encoder" | "decoder"> =
  & SpecialTokens
  & Record<typeof ROLES_NEEDED[A][number], SpecialToken>;

/** The special tokens of `tok`, by role. */
export function findSpecials(tok: Tokenizer): SpecialTokens {
  const out: SpecialTokens = {};
  for (const [role, names] of Object.entries(ROLE_NAMES) as [SpecialRole, readonly string[]][]) {
    for (const token of names) {
      const id = tok.tokenToId(token);
      if (id !== undefined && tok.specialIds.has(id)) {
        out[role] = { id, token };
        break;
      }
    }
  }
  return out;
}

/** The special tokens `arch` needs, or an InputError naming each missing role and the names looked for. */
export function requireSpecials<A extends "encoder" | "decoder">(
  tok: Tokenizer,
  arch: A,
  source = "tokenizer",
): RequiredSpecials<A> {
  const found = findSpecials(tok);
  const missing = (ROLES_NEEDED[arch] as readonly SpecialRole[]).filter((role) => !found[role]);
  if (missing.length) {
    const wanted = missing.map((role) => `${role} (one of ${ROLE_NAMES[role].join(" ")})`).join(", ");
    throw new InputError(`an ${arch} needs special tokens this tokenizer lacks: ${wanted}`, source);
  }
  return found as RequiredSpecials<A>;
}

/**
 * The token written after every document in token shards: the end-of-text token, or [SEP] where
 * there is none (BERT's vocabularies have no end-of-text token and separate segments with [SEP]).
 */
export function documentSeparator(tok: Tokenizer, source = "tokenizer"): SpecialToken {
  const found = findSpecials(tok);
  const sep = found.eot ?? found.sep;
  if (!sep) {
    throw new InputError(
      `no special token to end documents with: expected one of ${[...ROLE_NAMES.eot, ...ROLE_NAMES.sep].join(" ")}`,
      source,
    );
  }
  return sep;
}

/** The ids encoder pretraining and GLUE fine-tuning assume (train/token_stream.ts, models/masking.ts). */
const FIXED_ENCODER_IDS: Readonly<Record<"pad" | "cls" | "sep" | "mask", number>> = {
  pad: PAD_ID,
  cls: CLS_ID,
  sep: SEP_ID,
  mask: MASK_ID,
};

/**
 * Null when `tok`'s encoder specials sit at the fixed ids the encoder code assumes ([PAD] 0, [CLS] 1,
 * [SEP] 2, [MASK] 3), else one line saying which differ (an encoder must not train on such a tokenizer).
 */
export function fixedEncoderLayoutMismatch(tok: Tokenizer): string | null {
  const found = findSpecials(tok);
  const wrong = (Object.entries(FIXED_ENCODER_IDS) as ["pad" | "cls" | "sep" | "mask", number][])
    .filter(([role, id]) => found[role]?.id !== id)
    .map(([role, id]) =>
      `${role} is ${found[role] ? `${found[role].token} = ${found[role].id}` : "missing"}, expected id ${id}`
    );
  return wrong.length ? `the encoder code assumes fixed special ids: ${wrong.join("; ")}` : null;
}
