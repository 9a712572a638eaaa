import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Every script that runs the cdktf or terraform CLI sets CHECKPOINT_DISABLE, so no run phones
 * HashiCorp's version-check service (CI and offline machines).
 */
const runsCli = /(^|[\s;&|])(npx )?(cdktf|terraform)\s+(synth|diff|deploy|plan|apply|init|get|destroy|console|validate)\b/;

test("package.json scripts that run the CLI set CHECKPOINT_DISABLE", () => {
  const scripts = JSON.parse(fs.readFileSync("package.json", "utf8")).scripts as Record<string, string>;
  const cli = Object.entries(scripts).filter(([, cmd]) => runsCli.test(cmd));
  expect(cli.map(([name]) => name)).toContain("synth:cli");
  expect(cli.filter(([, cmd]) => !/\bCHECKPOINT_DISABLE=1\b/.test(cmd)).map(([name]) => name)).toEqual([]);
});

test("TypeScript scripts and CLI verbs that spawn terraform or cdktf pass CHECKPOINT_DISABLE in the child environment", () => {
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => d.isDirectory() ? walk(path.join(dir, d.name)) : d.name.endsWith(".ts") ? [path.join(dir, d.name)] : []);
  const spawning = [...walk("scripts"), ...walk(path.join("modules", "cli", "src"))].filter((f) => {
    const text = fs.readFileSync(f, "utf8");
    return /\b(spawn|spawnSync|execFile|execFileSync|execSync)\b/.test(text) && /findOnPath\("terraform"\)|["'`](terraform|cdktf)["'`\s]|terraformBin|cdktf-cli|\bterraform(Bin)?\b.*\b(init|plan|show)\b/.test(text);
  });
  expect(spawning).toEqual(expect.arrayContaining([path.join("modules", "cli", "src", "plan", "offline.ts"), path.join("scripts", "bench.ts")]));
  expect(spawning.filter((f) => !fs.readFileSync(f, "utf8").includes('CHECKPOINT_DISABLE: "1"'))).toEqual([]);
});
