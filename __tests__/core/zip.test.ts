import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inflateRawSync } from "node:zlib";
import { PYTHON_PLATFORMS, crc32, hasNodeDependencies, packageFolder, packageFunction, zipBytes } from "@polycloud/core";

/** Reads entries back through the central directory, the way unzip and the clouds do. */
function readZip(buf: Buffer): Record<string, string> {
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const out: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    expect(buf.readUInt32LE(at)).toBe(0x02014b50);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLen).toString("utf8");
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = inflateRawSync(buf.subarray(dataStart, dataStart + size));
    expect(crc32(data)).toBe(buf.readUInt32LE(at + 16));
    out[name] = data.toString("utf8");
    at += 46 + nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  return out;
}

test("crc32 matches the standard check value", () => {
  expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
});

test("zips every file, nested and non-ASCII names included, and reads back identically", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zip-"));
  try {
    fs.mkdirSync(path.join(dir, "lib"));
    fs.writeFileSync(path.join(dir, "index.mjs"), "export const handler = 1;\n");
    fs.writeFileSync(path.join(dir, "lib", "ünïcode.txt"), "x".repeat(10000));
    const entries = readZip(zipBytes(dir));
    expect(entries).toEqual({ "index.mjs": "export const handler = 1;\n", "lib/ünïcode.txt": "x".repeat(10000) });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("same content gives the same bytes and hash whatever the file times", () => {
  const src = "stacks/reference/functions/worker";
  const a = zipBytes(src);
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "zip-"));
  try {
    for (const f of fs.readdirSync(src)) {
      fs.copyFileSync(path.join(src, f), path.join(copy, f));
      fs.utimesSync(path.join(copy, f), new Date(2001, 1, 1), new Date(2001, 1, 1));
    }
    expect(zipBytes(copy).equals(a)).toBe(true);
    expect(packageFolder(copy).hash).toBe(packageFolder(src).hash);
    expect(fs.readFileSync(packageFolder(src).path).equals(a)).toBe(true);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

describe("zip cache across processes (a synth with no code change deflates nothing)", () => {
  /** packageFolder from a fresh module registry (a new process), counting deflate calls. */
  function freshPackage(dir: string): { result: { path: string; hash: string }; deflates: number } {
    let deflates = 0;
    let result = { path: "", hash: "" };
    jest.isolateModules(() => {
      jest.doMock("node:zlib", () => {
        const real = jest.requireActual<typeof import("node:zlib")>("node:zlib");
        return { ...real, deflateRawSync: (...a: Parameters<typeof real.deflateRawSync>) => { deflates++; return real.deflateRawSync(...a); } };
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      result = (require("../../modules/core/src/zip") as typeof import("../../modules/core/src/zip")).packageFolder(dir);
    });
    jest.dontMock("node:zlib");
    return { result, deflates };
  }

  test("the same content is a hit with the same path and hash; a changed, added or renamed file misses", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zipcache-"));
    try {
      fs.writeFileSync(path.join(dir, "index.js"), `exports.handler = () => ${Date.now()};\n`);
      fs.writeFileSync(path.join(dir, "data.txt"), "a");
      const first = freshPackage(dir);
      expect(first.deflates).toBe(2);
      expect(createHash("sha256").update(fs.readFileSync(first.result.path)).digest("hex")).toBe(first.result.hash);
      const again = freshPackage(dir);
      expect(again).toEqual({ result: first.result, deflates: 0 });
      // The cached answer is what zipping gives.
      expect(createHash("sha256").update(zipBytes(dir)).digest("hex")).toBe(first.result.hash);
      const misses: string[] = [];
      fs.writeFileSync(path.join(dir, "data.txt"), "b");
      const changed = freshPackage(dir);
      fs.writeFileSync(path.join(dir, "extra.txt"), "c");
      const added = freshPackage(dir);
      fs.renameSync(path.join(dir, "extra.txt"), path.join(dir, "other.txt"));
      const renamed = freshPackage(dir);
      for (const r of [changed, added, renamed]) {
        expect(r.deflates).toBeGreaterThan(0);
        misses.push(r.result.hash);
      }
      expect(new Set([first.result.hash, ...misses]).size).toBe(4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a damaged cached zip is not trusted: zipped again and rewritten", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zipcache-"));
    try {
      fs.writeFileSync(path.join(dir, "index.js"), `exports.handler = () => "${Date.now()}-damaged";\n`);
      const first = freshPackage(dir);
      fs.writeFileSync(first.result.path, Buffer.from("truncated"));
      const again = freshPackage(dir);
      expect(again.deflates).toBe(1);
      expect(again.result).toEqual(first.result);
      expect(createHash("sha256").update(fs.readFileSync(first.result.path)).digest("hex")).toBe(first.result.hash);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("dependencies (issue 19 part 2)", () => {
  const unpack = (zip: string, to: string) => {
    for (const [rel, text] of Object.entries(readZip(fs.readFileSync(zip)))) {
      fs.mkdirSync(path.dirname(path.join(to, rel)), { recursive: true });
      fs.writeFileSync(path.join(to, rel), text);
    }
  };

  test("a plain Node function is bundled with its dependency (esbuild, linked source map), runs with no node_modules, and its hash follows the built output", () => {
    const dir = path.join(__dirname, "..", "fixtures", "deps", "node-fn");
    const pkg = packageFunction(dir, { cloud: "aws", logicalId: "plain", handler: "index.handler", runtime: "nodejs22" });
    const files = readZip(fs.readFileSync(pkg.path));
    expect(Object.keys(files).sort()).toEqual(["config.json", "index.js", "index.js.map", "package.json"]);
    expect(files["index.js"]).toMatch(/\/\/# sourceMappingURL=index\.js\.map\s*$/);
    expect(JSON.parse(files["index.js.map"]).sources).toEqual(expect.arrayContaining([expect.stringMatching(/node_modules\/ms\/index\.js$/), "index.js"]));
    // CommonJS bundle: the folder's "type": "module" must not reach the package.
    expect(JSON.parse(files["package.json"])).toEqual({ name: "plain-aws", private: true, main: "index.js" });
    const run = fs.mkdtempSync(path.join(os.tmpdir(), "plain-node-"));
    try {
      unpack(pkg.path, run);
      const out = execFileSync(process.execPath, ["-e", `require(${JSON.stringify(path.join(run, "index.js"))}).handler().then((r) => console.log(r.body))`], { cwd: run }).toString().trim();
      expect(out).toBe("7200000");
    } finally {
      fs.rmSync(run, { recursive: true, force: true });
    }
    expect(pkg.hash).toBe(createHash("sha256").update(fs.readFileSync(pkg.path)).digest("hex"));
    // Without dependencies a folder is still zipped as it is.
    expect(hasNodeDependencies(dir)).toBe(true);
    expect(hasNodeDependencies(path.join(__dirname, "..", "fixtures", "coffee", "barista"))).toBe(false);
  });

  test("a Python function's requirements.txt is installed for the cloud's platform from a local wheel (no network): arm64 on Lambda, x86_64 elsewhere", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "py-deps-"));
    const saved = { index: process.env.PIP_NO_INDEX, links: process.env.PIP_FIND_LINKS };
    try {
      const wheels = path.join(work, "wheels");
      fs.mkdirSync(wheels);
      // A wheel is a zip with the package and a dist-info folder (METADATA, WHEEL, RECORD).
      const wheel = (name: string, tag: string, code: string) => {
        const w = path.join(work, `w-${name}`);
        const files: Record<string, string> = {
          [`${name}/__init__.py`]: code,
          [`${name}-1.0.dist-info/METADATA`]: `Metadata-Version: 2.1\nName: ${name}\nVersion: 1.0\n`,
          [`${name}-1.0.dist-info/WHEEL`]: `Wheel-Version: 1.0\nGenerator: polycloud-test\nRoot-Is-Purelib: ${tag === "py3-none-any"}\nTag: ${tag}\n`,
        };
        const record = Object.entries(files).map(([f, t]) => `${f},sha256=${createHash("sha256").update(t).digest("base64url")},${Buffer.byteLength(t)}`);
        files[`${name}-1.0.dist-info/RECORD`] = [...record, `${name}-1.0.dist-info/RECORD,,`].join("\n") + "\n";
        for (const [f, t] of Object.entries(files)) {
          fs.mkdirSync(path.dirname(path.join(w, f)), { recursive: true });
          fs.writeFileSync(path.join(w, f), t);
        }
        fs.writeFileSync(path.join(wheels, `${name}-1.0-${tag}.whl`), zipBytes(w));
      };
      const nonce = `${process.pid}${Date.now()}`; // a fresh requirements hash: pip really runs
      wheel(`tinydep${nonce}`, "py3-none-any", "def double(x):\n    return 2 * x\n");
      wheel(`nativedep${nonce}`, "cp312-cp312-manylinux2014_x86_64", "KIND = 'x86_64 build'\n");
      process.env.PIP_NO_INDEX = "1";
      process.env.PIP_FIND_LINKS = wheels;
      const fn = path.join(work, "fn");
      fs.mkdirSync(fn);
      fs.writeFileSync(path.join(fn, "main.py"), `import tinydep${nonce}\n\ndef handler(event, context=None):\n    return tinydep${nonce}.double(21)\n`);
      fs.writeFileSync(path.join(fn, "requirements.txt"), `tinydep${nonce}==1.0\n`);
      const installed = (cloud: "aws" | "gcp" | "azure", check: string) => {
        const pkg = packageFunction(fn, { cloud, logicalId: "py", handler: "main.handler", runtime: "python3.12" });
        const files = readZip(fs.readFileSync(pkg.path));
        expect(pkg.hash).toBe(createHash("sha256").update(fs.readFileSync(pkg.path)).digest("hex"));
        const run = path.join(work, `run-${cloud}`);
        unpack(pkg.path, run);
        expect(execFileSync("python3", ["-c", check], { cwd: run }).toString().trim()).toBe("ok");
        return Object.keys(files);
      };
      // Lambda (arm64): the pure wheel installs and the handler runs on it.
      expect(installed("aws", "import main; assert main.handler({}) == 42; print('ok')")).toEqual(expect.arrayContaining(["main.py", "requirements.txt", `tinydep${nonce}/__init__.py`]));
      // The platform is real: an x86_64-only wheel installs for GCP (and Azure), and is refused for Lambda.
      fs.writeFileSync(path.join(fn, "requirements.txt"), `tinydep${nonce}==1.0\nnativedep${nonce}==1.0\n`);
      expect(installed("gcp", `import main, nativedep${nonce} as n; assert main.handler({}) == 42 and n.KIND == 'x86_64 build'; print('ok')`)).toContain(`nativedep${nonce}/__init__.py`);
      expect(() => packageFunction(fn, { cloud: "aws", logicalId: "py", handler: "main.handler", runtime: "python3.12" }))
        .toThrow(/requirements\.txt: pip could not install binary wheels for manylinux2014_aarch64, Python 3\.12 \(aws\)/);
      expect(PYTHON_PLATFORMS).toEqual({ aws: "manylinux2014_aarch64", gcp: "manylinux2014_x86_64", azure: "manylinux2014_x86_64" });
    } finally {
      if (saved.index === undefined) delete process.env.PIP_NO_INDEX; else process.env.PIP_NO_INDEX = saved.index;
      if (saved.links === undefined) delete process.env.PIP_FIND_LINKS; else process.env.PIP_FIND_LINKS = saved.links;
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
