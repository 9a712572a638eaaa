import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { STAMP, buildIfStale, projects, staleBuildReason } from "../../scripts/build-stamp.mjs";

/**
 * The cdktf.json app skips `tsc -b` when the compiled code matches the sources
 * (scripts/build-stamp.mjs). A fake project and a stand-in compiler that writes one .js per .ts
 * and counts its runs: the compiler runs exactly when something it compiles changed.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), "build-stamp-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const write = (rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
};
write("tsconfig.base.json", JSON.stringify({ compilerOptions: { strict: true } }));
write("tsconfig.json", JSON.stringify({ extends: "./tsconfig.base.json", compilerOptions: { rootDir: ".", outDir: "dist", tsBuildInfoFile: "dist/.tsbuildinfo" }, include: ["main.ts", "stacks/**/*.ts"], exclude: ["dist"], references: [{ path: "./modules/core" }] }));
write("modules/core/tsconfig.json", JSON.stringify({ extends: "../../tsconfig.base.json", compilerOptions: { rootDir: "src", outDir: "lib", tsBuildInfoFile: "lib/.tsbuildinfo" }, include: ["src/**/*.ts"] }));
write("main.ts", "export const main = 1;");
write("stacks/app.ts", "export const app = 1;");
write("stacks/types.d.ts", "declare const t: 1;");
write("modules/core/src/index.ts", "export const core = 1;");
write("package-lock.json", "{}");
// The stand-in compiler: counts its runs, writes dist/**.js and modules/core/lib/**.js, fails on demand.
write("fake-tsc.js", `
const fs = require("fs"), path = require("path");
const runs = path.join(__dirname, "runs"); fs.writeFileSync(runs, String(Number(fs.existsSync(runs) ? fs.readFileSync(runs, "utf8") : 0) + 1));
if (fs.existsSync(path.join(__dirname, "fail"))) process.exit(2);
if (fs.existsSync(path.join(__dirname, "edit-during-build"))) { fs.rmSync(path.join(__dirname, "edit-during-build")); fs.appendFileSync(path.join(__dirname, "stacks/app.ts"), "// edited while compiling\\n"); }
const emit = (src, out) => { fs.mkdirSync(path.dirname(out), { recursive: true }); fs.writeFileSync(out, "compiled"); };
for (const info of ["dist/.tsbuildinfo", "modules/core/lib/.tsbuildinfo"]) { fs.mkdirSync(path.dirname(path.join(__dirname, info)), { recursive: true }); fs.writeFileSync(path.join(__dirname, info), String(Math.random())); }
emit("main.ts", path.join(__dirname, "dist/main.js"));
for (const f of fs.readdirSync(path.join(__dirname, "stacks"))) if (!f.endsWith(".d.ts")) emit(f, path.join(__dirname, "dist/stacks", f.replace(/\\.ts$/, ".js")));
for (const f of fs.readdirSync(path.join(__dirname, "modules/core/src"))) emit(f, path.join(__dirname, "modules/core/lib", f.replace(/\\.ts$/, ".js")));
`);
const tsc = [process.execPath, path.join(root, "fake-tsc.js")];
const runs = () => Number(fs.readFileSync(path.join(root, "runs"), "utf8"));
const build = () => buildIfStale(root, tsc);

test("builds without a stamp, then not again while nothing changed", () => {
  expect(staleBuildReason(root)).toMatch(/no build stamp/);
  expect(build()).toBe(0);
  expect(runs()).toBe(1);
  expect(fs.existsSync(path.join(root, STAMP))).toBe(true);
  expect(staleBuildReason(root)).toBeUndefined();
  expect(build()).toBe(0);
  expect(runs()).toBe(1);
});

test.each([
  ["a source of the root project", () => write("stacks/app.ts", "export const app = 2;")],
  ["a source of a referenced project", () => write("modules/core/src/index.ts", "export const core = 2;")],
  ["a new source file", () => write("stacks/extra.ts", "export const extra = 1;")],
  ["a declaration file", () => write("stacks/types.d.ts", "declare const t: 2;")],
  ["a tsconfig", () => write("modules/core/tsconfig.json", JSON.stringify({ extends: "../../tsconfig.base.json", compilerOptions: { rootDir: "src", outDir: "lib", tsBuildInfoFile: "lib/.tsbuildinfo", strict: false }, include: ["src/**/*.ts"] }))],
  ["the base tsconfig", () => write("tsconfig.base.json", JSON.stringify({ compilerOptions: { strict: false } }))],
  ["package-lock.json (compiler and type versions)", () => write("package-lock.json", '{"lockfileVersion":3}')],
  ["a deleted output", () => fs.rmSync(path.join(root, "modules/core/lib/index.js"))],
])("%s changed: builds once", (_what, change) => {
  const before = runs();
  change();
  expect(staleBuildReason(root)).toBeDefined();
  expect(build()).toBe(0);
  expect(runs()).toBe(before + 1);
  expect(build()).toBe(0);
  expect(runs()).toBe(before + 1);
});

test("outputs compiled by a direct tsc -b from sources edited and then reverted are not trusted", () => {
  const original = fs.readFileSync(path.join(root, "stacks/app.ts"), "utf8");
  write("stacks/app.ts", "export const app = 'edited';");
  // npm test or npm run build: the compiler runs without this check, then the edit is reverted.
  execFileSync(tsc[0], tsc.slice(1));
  write("stacks/app.ts", original);
  expect(staleBuildReason(root)).toBe("the compiler ran since the last stamped build");
  const before = runs();
  expect(build()).toBe(0);
  expect(runs()).toBe(before + 1);
  expect(staleBuildReason(root)).toBeUndefined();
});

test("a failed build leaves no stamp: the next run builds again", () => {
  write("main.ts", "export const main = 'broken';");
  write("fail", "");
  expect(build()).toBe(2);
  fs.rmSync(path.join(root, "fail"));
  expect(staleBuildReason(root)).toBeDefined();
  const before = runs();
  expect(build()).toBe(0);
  expect(runs()).toBe(before + 1);
});

test("a source edited while the compiler runs is built by the next run", () => {
  write("main.ts", "export const main = 3;");
  write("edit-during-build", "");
  expect(build()).toBe(0);
  expect(staleBuildReason(root)).toBe("sources changed since the last build");
});

test("an include pattern the check cannot follow always builds", () => {
  const config = JSON.parse(fs.readFileSync(path.join(root, "tsconfig.json"), "utf8"));
  write("tsconfig.json", JSON.stringify({ ...config, include: ["main.ts", "stacks/*.{ts,tsx}"] }));
  expect(staleBuildReason(root)).toMatch(/cannot follow/);
  const before = runs();
  build();
  build();
  expect(runs()).toBe(before + 2);
});

test("the repository's own tsconfig is one the check can follow, over every TypeScript source tsc -b compiles", () => {
  const list = projects(path.resolve("tsconfig.json"))!;
  expect(list).toBeDefined();
  const sources = new Set(list.flatMap((p) => p.sources).map((f) => path.relative(process.cwd(), f)));
  for (const f of ["main.ts", "modules/stacks/src/synthesize.ts", "stacks/composition.ts", "environments/dev.ts", "scripts/bench.ts", "__tests__/stacks/build-stamp.test.ts", "modules/aws/src/function.ts", "modules/runtime/src/stage.ts"]) expect(sources.has(f)).toBe(true);
});
