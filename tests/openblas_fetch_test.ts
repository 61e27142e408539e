/**
 * OpenBLAS fetched without root (kernels/openblas_fetch.ts): with a fake `apt-get download` (a function
 * copying .debs that dpkg-deb built from a fixture: a small C library standing in for OpenBLAS, which
 * needs a second fixture library the system does not have), the packages are unpacked into the cache,
 * the dependency is fetched and opened first, and the product the library computes is right; a cached
 * package is not fetched again; no dpkg-deb, and an unknown dependency, give one line saying so. One
 * real fetch of Debian's package where apt knows it.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { fetchOpenBlas, missingLibrary, OPENBLAS_PACKAGE } from "../kernels/openblas_fetch.ts";
import { missingDebianTool } from "../data/debian.ts";

const run = async (cmd: string, args: string[], cwd?: string) => {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
};
const works = (cmd: string, args: string[]) => run(cmd, args).then(() => true, () => false);
const hasTools = (await works("cc", ["--version"])) && (await missingDebianTool(["dpkg-deb"])) === null;
const aptKnowsOpenBlas = (await missingDebianTool(["apt-get", "dpkg-deb"])) === null &&
  (await works("apt-cache", ["show", OPENBLAS_PACKAGE]));

/** Row-major sgemm of the fixture library: C = alpha·A·B (no transposes), scaled by the dependency's factor. */
const FAKE_BLAS = `
int fake_dep_scale(void);
const char *openblas_get_config(void) { return "fake OpenBLAS fixture"; }
void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      float s = 0;
      for (int p = 0; p < k; p++) s += a[i * lda + p] * b[p * ldb + j];
      c[i * ldc + j] = alpha * s * fake_dep_scale() + beta * c[i * ldc + j];
    }
}
`;

/** Builds `<name>.deb` holding `files` (path in the package -> file on disk). */
async function buildDeb(dir: string, name: string, files: Record<string, string>): Promise<string> {
  const root = join(dir, `${name}-root`);
  await Deno.mkdir(join(root, "DEBIAN"), { recursive: true });
  await Deno.writeTextFile(
    join(root, "DEBIAN", "control"),
    `Package: ${name}\nVersion: 9.9-1\nArchitecture: all\nMaintainer: Test <t@example.org>\nDescription: fixture\n`,
  );
  for (const [inPackage, file] of Object.entries(files)) {
    await Deno.mkdir(join(root, inPackage, ".."), { recursive: true });
    await Deno.copyFile(file, join(root, inPackage));
  }
  await run("dpkg-deb", ["--root-owner-group", "--build", root, join(dir, `${name}.deb`)]);
  return join(dir, `${name}.deb`);
}

/** A 2x2 product through the library's cblas_sgemm. */
function product(library: string): number[] {
  const lib = Deno.dlopen(library, {
    cblas_sgemm: {
      parameters: [
        "i32",
        "i32",
        "i32",
        "i32",
        "i32",
        "i32",
        "f32",
        "buffer",
        "i32",
        "buffer",
        "i32",
        "f32",
        "buffer",
        "i32",
      ],
      result: "void",
    },
  });
  const a = new Float32Array([1, 2, 3, 4]), b = new Float32Array([5, 6, 7, 8]), c = new Float32Array(4);
  lib.symbols.cblas_sgemm(101, 111, 111, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2);
  return [...c];
}

Deno.test({
  name: `fetchOpenBlas with a fake apt-get download: the package and a missing dependency unpacked, opened in order${
    hasTools ? "" : " (skipped: needs cc and dpkg-deb)"
  }`,
  ignore: !hasTools,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(join(dir, "dep.c"), "int fake_dep_scale(void) { return 2; }\n");
      await Deno.writeTextFile(join(dir, "blas.c"), FAKE_BLAS);
      await run("cc", ["-shared", "-fPIC", "-Wl,-soname,libfakedep.so.1", "-o", "libfakedep.so.1", "dep.c"], dir);
      await run(
        "cc",
        [
          "-shared",
          "-fPIC",
          "-Wl,-soname,libopenblas.so.0",
          "-o",
          "libopenblas.so.0",
          "blas.c",
          "-L.",
          "-l:libfakedep.so.1",
        ],
        dir,
      );
      const debs: Record<string, string> = {
        [OPENBLAS_PACKAGE]: await buildDeb(dir, OPENBLAS_PACKAGE, {
          "usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0": join(dir, "libopenblas.so.0"),
        }),
        libfakedep1: await buildDeb(dir, "libfakedep1", { "usr/lib/libfakedep.so.1": join(dir, "libfakedep.so.1") }),
      };
      const downloads: string[] = [];
      const download = async (pkg: string, to: string) => {
        downloads.push(pkg);
        await Deno.copyFile(debs[pkg], join(to, `${pkg}_9.9-1_all.deb`));
      };
      const cacheDir = join(dir, "cache");
      // Before anything is loaded: a dependency no known package ships is named, not guessed.
      const unknown = await fetchOpenBlas({ cacheDir, download, libraryPackages: {} });
      assert("missing" in unknown);
      assertStringIncludes(unknown.missing, "needs libfakedep.so.1, which is not installed");
      // Without dpkg-deb: skipped with the reason, nothing fetched.
      const noDpkg = await fetchOpenBlas({ cacheDir: join(dir, "other"), download, dpkgDeb: "no-such-dpkg-deb" });
      assert("missing" in noDpkg);
      assertStringIncludes(noDpkg.missing, "no-such-dpkg-deb not found");

      const libraryPackages = { "libfakedep.so.1": "libfakedep1" };
      const got = await fetchOpenBlas({ cacheDir, download, libraryPackages });
      if ("missing" in got) throw new Error(got.missing);
      assert(got.library.startsWith(join(cacheDir, "multilingual", "debian", OPENBLAS_PACKAGE)), got.library);
      assertEquals(got.opened, [join(cacheDir, "multilingual", "debian", "libfakedep1", "usr/lib/libfakedep.so.1")]);
      assertEquals(got.packages.map((p) => [p.package, p.version, p.status]), [
        [OPENBLAS_PACKAGE, "9.9-1", "cached"], // unpacked by the first call, which then stopped at the dependency
        ["libfakedep1", "9.9-1", "fetched"],
      ]);
      assertEquals(downloads, [OPENBLAS_PACKAGE, "libfakedep1"]);
      // [1 2; 3 4]·[5 6; 7 8] = [19 22; 43 50], times the dependency's factor 2.
      assertEquals(product(got.library), [38, 44, 86, 100]);
      const again = await fetchOpenBlas({ cacheDir, download, libraryPackages });
      if ("missing" in again) throw new Error(again.missing);
      assertEquals(again.packages.map((p) => p.status), ["cached"]);
      assertEquals(downloads.length, 2);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("missingLibrary reads the soname out of the dynamic loader's error", () => {
  assertEquals(
    missingLibrary(new Error("Could not open library: libgfortran.so.5: cannot open shared object file: No such file")),
    "libgfortran.so.5",
  );
  assertEquals(missingLibrary(new Error("libopenblas.so.0: undefined symbol: foo")), null);
});

Deno.test({
  name: `a real fetch: Debian's ${OPENBLAS_PACKAGE} through apt-get download, unpacked, and its sgemm right${
    aptKnowsOpenBlas ? "" : " (skipped: needs apt-get, dpkg-deb and an apt that knows the package)"
  }`,
  ignore: !aptKnowsOpenBlas,
  fn: async () => {
    const cacheDir = await Deno.makeTempDir();
    try {
      const got = await fetchOpenBlas({ cacheDir });
      if ("missing" in got) throw new Error(got.missing);
      assertEquals(got.packages[0].package, OPENBLAS_PACKAGE);
      assertEquals(got.packages[0].status, "fetched");
      assert(got.library.startsWith(cacheDir), got.library);
      assertEquals(product(got.library), [19, 22, 43, 50]);
    } finally {
      await Deno.remove(cacheDir, { recursive: true });
    }
  },
});
