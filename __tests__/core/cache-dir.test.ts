import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as coreCache from "../../modules/core/src/cache-dir";
import * as runtimeCache from "../../modules/runtime/src/cache-dir";

/**
 * Issue 33.1: the build caches can no longer be poisoned by another local user. The folder rules
 * are checked for both copies (core's, for zips and Python installs; the runtime's, for bundles),
 * and the adversarial script __tests__/fixtures/adversarial/plant-bundle.cjs plays the other user:
 * for real (as uid 65534) when the tests run as root, which they do in this project's container and
 * CI, or as the same user planting into the cache (what a damaged cache looks like).
 */
const PLANT = path.join(__dirname, "..", "fixtures", "adversarial", "plant-bundle.cjs");
const echo = path.join(__dirname, "..", "runtime", "fixtures", "echo");
const target = { cloud: "aws" as const, logicalId: "echo", handler: "index.web" };
const uid = process.getuid!();
const asRoot = uid === 0;
const NOBODY = 65534;

const work: string[] = [];
afterAll(() => work.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  work.push(d);
  return d;
}

describe.each([["core", coreCache], ["runtime", runtimeCache]])("%s cache-dir rules", (_name, m) => {
  test("a new folder is created with mode 0700; an existing private one is accepted", () => {
    const dir = path.join(tmp("cache-new-"), "a", "polycloud");
    m.ensurePrivateDir(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(() => m.ensurePrivateDir(dir)).not.toThrow();
  });

  test.each([
    ["group/world permissions", (d: string) => { fs.mkdirSync(d); fs.chmodSync(d, 0o777); }, /has mode 0777/],
    ["group read", (d: string) => { fs.mkdirSync(d); fs.chmodSync(d, 0o750); }, /has mode 0750/],
    ["a symbolic link to a private folder", (d: string) => { const real = `${d}-real`; fs.mkdirSync(real, { mode: 0o700 }); fs.symlinkSync(real, d); }, /is a symbolic link/],
    ["a file", (d: string) => fs.writeFileSync(d, "x"), /is not a directory/],
  ])("refused: %s", (_what, make, message) => {
    const dir = path.join(tmp("cache-bad-"), "polycloud");
    make(dir);
    expect(() => m.ensurePrivateDir(dir)).toThrow(m.UnsafeCacheDirError);
    expect(() => m.ensurePrivateDir(dir)).toThrow(message);
  });

  test("refused: owned by another user (the owner check, with another uid expected)", () => {
    const dir = path.join(tmp("cache-owner-"), "polycloud");
    m.ensurePrivateDir(dir);
    expect(() => m.checkPrivateDir(dir, uid + 1)).toThrow(new RegExp(`is owned by uid ${uid}`));
  });

  test("the root: POLYCLOUD_CACHE_DIR, else XDG_CACHE_HOME/polycloud or ~/.cache/polycloud, then <tmpdir>/polycloud-<uid>", () => {
    expect(m.cacheRootCandidates({ POLYCLOUD_CACHE_DIR: "/x/y" })).toEqual(["/x/y"]);
    expect(m.cacheRootCandidates({ XDG_CACHE_HOME: "/c" })).toEqual(["/c/polycloud", path.join(os.tmpdir(), `polycloud-${uid}`)]);
    expect(m.cacheRootCandidates({})[0]).toBe(path.join(os.homedir(), ".cache", "polycloud"));
  });
});

/** stageFunction in a fresh module registry (a new process) with the given cache root. */
function freshStage(root: string): string {
  const saved = process.env.POLYCLOUD_CACHE_DIR;
  process.env.POLYCLOUD_CACHE_DIR = root;
  try {
    let out = "";
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    jest.isolateModules(() => { out = (require("@polycloud/runtime") as typeof import("@polycloud/runtime")).stageFunction(echo, target); });
    return out;
  } finally {
    if (saved === undefined) delete process.env.POLYCLOUD_CACHE_DIR; else process.env.POLYCLOUD_CACHE_DIR = saved;
  }
}

const plant = (root: string, as?: number) => {
  const r = spawnSync(process.execPath, [PLANT, root], { encoding: "utf8", ...(as === undefined ? {} : { uid: as, gid: as }) });
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as { planted: string[]; refused?: string; name?: string };
};
const bundleText = (dir: string) => fs.readFileSync(path.join(dir, "index.js"), "utf8");

describe("bundle cache against another local user (plant-bundle.cjs)", () => {
  /** A folder like /tmp: world-writable with the sticky bit, where a predictable name can be squatted. */
  const shared = () => { const d = tmp("shared-"); fs.chmodSync(d, 0o1777); return d; };

  (asRoot ? test : test.skip)("the other user squats the cache path first: the synth refuses the folder instead of packaging what it holds", () => {
    const root = path.join(shared(), `polycloud-${uid}`);
    const attack = plant(root, NOBODY);
    expect(attack.refused).toBeUndefined();
    expect(fs.statSync(root).uid).toBe(NOBODY);
    expect(() => freshStage(root)).toThrow(/is owned by uid 65534/);
  });

  (asRoot ? test : test.skip)("the cache exists first: the other user cannot write into it, and the next synth packages the real code", () => {
    const root = path.join(shared(), `polycloud-${uid}`);
    const first = freshStage(root);
    expect(fs.statSync(root).mode & 0o777).toBe(0o700);
    const attack = plant(root, NOBODY);
    expect(attack.refused).toBe("EACCES");
    expect(attack.planted).toEqual([]);
    const again = freshStage(root);
    expect(again).toBe(first);
    expect(bundleText(again)).not.toContain("pwned");
  });

  test("a record with empty stamps naming a planted folder is refused: bundled again", () => {
    const root = path.join(tmp("same-user-"), "cache");
    const first = freshStage(root);
    const attack = plant(root);
    expect(attack.refused).toBeUndefined();
    expect(attack.planted.some((f) => f.endsWith(".json"))).toBe(true);
    const again = freshStage(root);
    expect(again).toBe(first);
    expect(bundleText(again)).not.toContain("pwned");
  });

  test("a record that names a path outside the cache is refused", () => {
    const root = path.join(tmp("outside-"), "cache");
    const first = freshStage(root);
    const evil = tmp("evil-");
    fs.writeFileSync(path.join(evil, "index.js"), "pwned");
    const index = path.join(root, "staged", "index");
    for (const f of fs.readdirSync(index)) {
      const record = JSON.parse(fs.readFileSync(path.join(index, f), "utf8"));
      fs.writeFileSync(path.join(index, f), JSON.stringify({ ...record, name: path.relative(root, evil), out: evil }));
    }
    expect(bundleText(freshStage(root))).toBe(bundleText(first));
  });

  test("a staged bundle changed after it was written is not reused: its content no longer matches its name", () => {
    const root = path.join(tmp("tampered-"), "cache");
    const first = freshStage(root);
    const original = bundleText(first);
    fs.appendFileSync(path.join(first, "index.js"), "\n;globalThis.pwned = 1;\n");
    const again = freshStage(root);
    expect(again).toBe(first);
    expect(bundleText(again)).toBe(original);
    expect(createHash("sha256").update(bundleText(again)).digest("hex")).toBe(createHash("sha256").update(original).digest("hex"));
  });
});

describe("zip and Python caches live in the same private folder", () => {
  test("a staged Python folder changed after it was built is built again before it is zipped", () => {
    const root = path.join(tmp("py-cache-"), "cache");
    const saved = { ...process.env };
    process.env.POLYCLOUD_CACHE_DIR = root;
    process.env.PIP_NO_INDEX = "1";
    process.env.PIP_FIND_LINKS = path.join(__dirname, "..", "fixtures", "coffee", "wheels");
    try {
      const barista = path.join(__dirname, "..", "fixtures", "coffee", "barista");
      const t = { cloud: "aws" as const, logicalId: "barista", handler: "main.handler", runtime: "python3.12" };
      let first = "";
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      jest.isolateModules(() => { first = (require("../../modules/core/src/zip") as typeof import("../../modules/core/src/zip")).stagePython(barista, t); });
      expect(path.dirname(path.dirname(first))).toBe(path.join(root, "python"));
      expect(fs.statSync(root).mode & 0o777).toBe(0o700);
      const original = fs.readFileSync(path.join(first, "main.py"), "utf8");
      fs.writeFileSync(path.join(first, "main.py"), "def handler(event, context=None):\n    return 'pwned'\n");
      fs.writeFileSync(path.join(first, "brewtools", "extra.py"), "PLANTED = 1\n");
      let again = "";
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      jest.isolateModules(() => { again = (require("../../modules/core/src/zip") as typeof import("../../modules/core/src/zip")).stagePython(barista, t); });
      expect(again).toBe(first);
      expect(fs.readFileSync(path.join(again, "main.py"), "utf8")).toBe(original);
      expect(fs.existsSync(path.join(again, "brewtools", "extra.py"))).toBe(false);
    } finally {
      process.env = saved;
    }
  });
});
