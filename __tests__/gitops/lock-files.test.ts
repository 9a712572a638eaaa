import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { load } from "js-yaml";
import { LOCK_DIR, checkCommittedLocks, checkLockFile, fullSource, parseLockFile } from "../../scripts/gitops/lock-files";
import { REPO_ROOT } from "../../scripts/registry/workspace-packages";

/** Committed per-stack provider lock files: the checker, and how terraform-stack.yml uses them. */
const hex = (c: string) => c.repeat(64);
const lock = (version: string, hashes: string[], source = "registry.terraform.io/hashicorp/aws") => `# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "${source}" {
  version     = "${version}"
  constraints = "${version}"
  hashes = [
${hashes.map((h) => `    "${h}",`).join("\n")}
  ]
}
`;
const h1 = "h1:" + "A".repeat(43) + "=";
const pinned = { aws: { source: "aws", version: "6.25.0" } };

test("a lock file with the pinned version and both checksum kinds fits; anything else is named", () => {
  expect(parseLockFile(lock("6.25.0", [h1, `zh:${hex("a")}`]))).toEqual([{ source: "registry.terraform.io/hashicorp/aws", version: "6.25.0", constraints: "6.25.0", hashes: [h1, `zh:${hex("a")}`] }]);
  expect(checkLockFile(lock("6.25.0", [h1, `zh:${hex("a")}`]), pinned)).toEqual([]);
  expect(checkLockFile(lock("6.24.0", [h1]), pinned)).toEqual([
    "registry.terraform.io/hashicorp/aws: locked 6.24.0, the stack pins 6.25.0",
    "registry.terraform.io/hashicorp/aws: no zh: checksum of the official release archive",
  ]);
  expect(checkLockFile(lock("4.55.0", [h1, `zh:${hex("b")}`], "registry.terraform.io/hashicorp/azurerm"), pinned)).toEqual([
    "registry.terraform.io/hashicorp/aws is not locked",
    "registry.terraform.io/hashicorp/azurerm is locked but the stack does not use it",
  ]);
  expect(fullSource("google")).toBe("registry.terraform.io/hashicorp/google");
  expect(fullSource("integrations/github")).toBe("registry.terraform.io/integrations/github");
});

test("committed lock files are checked against the synthesized stack of the same name", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "locks-"));
  try {
    fs.mkdirSync(path.join(root, LOCK_DIR));
    fs.mkdirSync(path.join(root, "out", "stacks", "dev-aws"), { recursive: true });
    fs.writeFileSync(path.join(root, "out", "stacks", "dev-aws", "cdk.tf.json"), JSON.stringify({ terraform: { required_providers: pinned } }));
    fs.writeFileSync(path.join(root, LOCK_DIR, "dev-aws.terraform.lock.hcl"), lock("6.25.0", [h1, `zh:${hex("c")}`]));
    fs.writeFileSync(path.join(root, LOCK_DIR, "qa-aws.terraform.lock.hcl"), lock("6.25.0", [h1]));
    expect(checkCommittedLocks(root, path.join(root, "out"))).toEqual([{ stack: "dev-aws", problems: [] }, { stack: "qa-aws", problems: ["no synthesized stack qa-aws"] }]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("terraform-stack.yml copies the stack's committed lock file in and then initialises read-only", () => {
  const wf: any = load(fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", "terraform-stack.yml"), "utf8"));
  const steps: any[] = wf.jobs.terraform.steps;
  const copy = steps.findIndex((s) => s.id === "lock");
  const init = steps.findIndex((s) => s.name === "terraform init");
  expect(copy).toBeGreaterThan(0);
  expect(copy).toBeLessThan(init);
  expect(steps[copy].run).toContain(`lock="${LOCK_DIR}/$STACK.terraform.lock.hcl"`);
  expect(steps[copy].run).toContain('cp "$lock" "cdktf.out/stacks/$STACK/.terraform.lock.hcl"');
  expect(steps[init].env.LOCKFILE).toBe("${{ steps.lock.outputs.mode }}");
  expect(steps[init].run).toContain('args+=("-lockfile=$LOCKFILE")');
});
