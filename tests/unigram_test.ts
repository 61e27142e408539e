import { assertAlmostEquals, assertThrows } from "@std/assert";
import { unigramCrossEntropy } from "../evals/unigram.ts";

Deno.test("unigram cross-entropy with add-one smoothing, worked by hand", () => {
  // V=3, train [0,0,1]: p0 = (2+1)/(3+3) = 1/2, p1 = (1+1)/6 = 1/3, p2 = 1/6.
  // held out [0,1]: -(ln 1/2 + ln 1/3) / 2 = (0.693147 + 1.098612) / 2 = 0.895880
  assertAlmostEquals(unigramCrossEntropy([0, 0, 1], [0, 1], 3), 0.895880, 1e-6);
  // an unseen token still gets mass: -ln(1/6) = 1.791759
  assertAlmostEquals(unigramCrossEntropy([0, 0, 1], [2], 3), 1.791759, 1e-6);
});

Deno.test("unigram cross-entropy refuses an empty held-out set", () => {
  assertThrows(() => unigramCrossEntropy([0], [], 2), Error, "no held-out tokens");
});
