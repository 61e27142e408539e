/**
 * An error in a profile at a dotted key ("pretrain.designs[0].budget"): thrown by the checks and the
 * planning of a profile, and turned into an InputError naming the file, the key and its line by
 * pipeline/profile.ts `validateProfile`.
 */
export class ProfileKeyError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
    this.name = "ProfileKeyError";
  }
}
