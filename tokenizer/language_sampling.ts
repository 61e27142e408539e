/**
 * Language sampling for training one BPE on several languages: exponent ("temperature") sampling as in
 * XLM-R (Conneau et al., 2020), q_l = p_l^α / Σ_k p_k^α with p_l the language's share of the training
 * text and α = 0.3 (XLM, Lample & Conneau 2019, used 0.5; α = 1 is the plain mix, α = 0 equal shares).
 *
 * Rather than drawing a random sample, each language's pre-token counts are multiplied by its expected
 * number of draws per occurrence, q_l / p_l, scaled so the largest weight-per-text language keeps weight 1
 * and rounded. This is the expectation of the sampled counts: deterministic, and no small-language text
 * is lost to the luck of the draw.
 */
import { InputError } from "../util/errors.ts";
import { PreTokenCounter } from "./pretokenize.ts";

/** XLM-R's exponent. */
export const DEFAULT_ALPHA = 0.3;

/** q_l = p_l^α / Σ p_k^α for sizes n_l (p_l = n_l / Σ n_k); languages of size 0 get 0. */
export function samplingProbabilities(
  sizes: Readonly<Record<string, number>>,
  alpha = DEFAULT_ALPHA,
): Record<string, number> {
  if (!(alpha >= 0 && alpha <= 1)) throw new InputError(`the sampling exponent must be in [0, 1], got ${alpha}`);
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new InputError("language sampling needs at least one language with text");
  const powered = Object.fromEntries(
    Object.entries(sizes).map(([lang, n]) => {
      if (!(n >= 0)) throw new InputError(`language ${lang}: size must be a non-negative number, got ${n}`);
      return [lang, n > 0 ? (n / total) ** alpha : 0];
    }),
  );
  const z = Object.values(powered).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(powered).map(([lang, x]) => [lang, x / z]));
}

/**
 * Per-language multipliers of the counts: (q_l / p_l), divided by the smallest of them so that the
 * language with the most text keeps weight 1 (languages of size 0 get 0).
 */
export function countWeights(sizes: Readonly<Record<string, number>>, alpha = DEFAULT_ALPHA): Record<string, number> {
  const q = samplingProbabilities(sizes, alpha);
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  const raw = Object.fromEntries(Object.entries(sizes).map(([lang, n]) => [lang, n > 0 ? q[lang] / (n / total) : 0]));
  const least = Math.min(...Object.values(raw).filter((w) => w > 0));
  return Object.fromEntries(Object.entries(raw).map(([lang, w]) => [lang, w / least]));
}

/** Pre-token counts per language, and the text size each language's sampling probability is computed from. */
export class LanguageCounts {
  readonly counters = new Map<string, PreTokenCounter>();
  readonly sizes: Record<string, number> = {};

  /** Counts `text`'s pre-tokens under `lang`; `size` is its length in the sampling unit. */
  add(lang: string, text: string, size: number): void {
    let counter = this.counters.get(lang);
    if (!counter) this.counters.set(lang, counter = new PreTokenCounter());
    counter.add(text);
    this.sizes[lang] = (this.sizes[lang] ?? 0) + size;
  }

  /** (pre-token, weighted count) pairs for trainBpe: each language's counts times its weight, rounded. */
  weighted(alpha = DEFAULT_ALPHA): { weights: Record<string, number>; counts: Map<string, number> } {
    const weights = countWeights(this.sizes, alpha);
    const counts = new Map<string, number>();
    for (const [lang, counter] of this.counters) {
      const w = weights[lang];
      for (const [piece, n] of counter.entries()) {
        const scaled = Math.round(n * w);
        if (scaled > 0) counts.set(piece, (counts.get(piece) ?? 0) + scaled);
      }
    }
    return { weights, counts };
  }
}
