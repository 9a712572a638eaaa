import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { AddressInfo } from "node:net";
import { RUN_MIGRATION_STEP_COMMAND } from "@polycloud/azure";
import { envByName, synthPlatform } from "../helpers/synth";
import { issueServerCert, makeCa } from "../helpers/tls-certs";

/**
 * The Azure post-apply step's command, as Terraform hands it to bash (read from the synthesized
 * JSON), against a stand-in for the step's HTTPS trigger and a stand-in `az`: it gets an Entra
 * token of the deploying identity for the step's app (App Service authentication admits that
 * identity only; no function key), retries while the app starts, prints the step's answer, and fails the apply with the
 * database's error. shellcheck checks it too.
 */
const json = synthPlatform(envByName("dev"), undefined, "azure").json;
const run = Object.values<any>(json.resource.terraform_data).find((d) => JSON.stringify(d).includes("/api/migrate"));
const exec = run.provisioner[0]["local-exec"];

test("the synthesized step runs exactly the documented command with bash; the app admits the deploying identity only", () => {
  expect(exec.command).toBe(RUN_MIGRATION_STEP_COMMAND);
  expect(exec.interpreter).toEqual(["bash", "-c"]);
  expect(exec.command).not.toMatch(/keys list|x-functions-key/);
  const app = Object.values<any>(json.resource.azurerm_function_app_flex_consumption).find((a) => a.app_settings.POLYCLOUD_MIGRATE_DATABASE);
  expect(app.auth_settings_v2).toMatchObject({ auth_enabled: true, require_authentication: true, unauthenticated_action: "Return401", active_directory_v2: { allowed_identities: [expect.stringMatching(/^\$\{data\.azurerm_client_config\.[^.]+\.object_id\}$/)] } });
  expect(exec.environment.AUDIENCE).toBe(app.auth_settings_v2.active_directory_v2.client_id);
  // Nothing Terraform would treat as a template (`${` or `%{`) is left in it.
  expect(exec.command).not.toMatch(/\$\{|%\{/);
});

const shellcheck = spawnSync("shellcheck", ["--version"]).status === 0;
(shellcheck ? test : test.skip)("shellcheck finds nothing in it", () => {
  const r = spawnSync("shellcheck", ["-s", "bash", "-"], { input: `#!/usr/bin/env bash\n${RUN_MIGRATION_STEP_COMMAND}\n`, encoding: "utf8" });
  expect(r.stdout).toBe("");
  expect(r.status).toBe(0);
});

describe("against stand-ins for the app and az", () => {
  const ca = makeCa("app service test root");
  const cert = issueServerCert(ca, "app", "127.0.0.1", ["IP:127.0.0.1"]);
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-az-"));
  // `az account get-access-token ... --query accessToken -o tsv` prints the token.
  fs.writeFileSync(path.join(bin, "az"), '#!/bin/sh\necho "$*" >> "$AZ_LOG"\necho eyJ.deployer-token\n', { mode: 0o755 });

  async function step(answers: [number, unknown][]) {
    const seen: { key: string | undefined; body: string }[] = [];
    const server = https.createServer({ cert: fs.readFileSync(cert.certFile), key: fs.readFileSync(cert.keyFile) }, (req, res) => {
      let body = "";
      req.on("data", (d) => { body += d; });
      req.on("end", () => {
        seen.push({ key: req.headers.authorization as string, body });
        const [status, out] = answers[Math.min(seen.length - 1, answers.length - 1)];
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(out));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const log = path.join(bin, `az-${Date.now()}.log`);
    const env = {
      ...exec.environment,
      SUBSCRIPTION: "sub", AUDIENCE: "00000000-0000-4000-8000-0000000000aa", HOST: `127.0.0.1:${(server.address() as AddressInfo).port}`,
      PATH: `${bin}:${process.env.PATH}`, AZ_LOG: log, CURL_CA_BUNDLE: ca.certFile,
    };
    // The retry pause is 15 s on Azure; here the script's sleep is made instant.
    fs.writeFileSync(path.join(bin, "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn("bash", ["-c", exec.command], { env });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => { stdout += d; });
      child.stderr.on("data", (d: Buffer) => { stderr += d; });
      child.on("exit", (status: number | null) => resolve({ status, stdout, stderr }));
    });
    server.closeAllConnections();
    server.close();
    return { ...r, seen, az: fs.readFileSync(log, "utf8") };
  }

  test("waits while the app starts (503), then prints the step's result and succeeds", async () => {
    const r = await step([[503, {}], [404, {}], [200, { applied: ["service/0001_orders.sql"] }]]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('{"applied":["service/0001_orders.sql"]}');
    expect(r.seen.map((s) => s.key)).toEqual(["Bearer eyJ.deployer-token", "Bearer eyJ.deployer-token", "Bearer eyJ.deployer-token"]);
    expect(JSON.parse(r.seen[0].body)).toMatchObject({ polycloud: "migrate", database: "main", files: ["polycloud-runtime/0001_idempotency.sql", "service/0001_orders.sql"] });
    expect(r.az.trim()).toBe("account get-access-token --subscription sub --resource 00000000-0000-4000-8000-0000000000aa --query accessToken --output tsv");
  });

  test("a failing migration: the step's error (the database's) is printed and the apply fails", async () => {
    const error = "migration service/0002_x.sql failed at line 1 and was rolled back (nothing of it is applied): relation \"nope\" does not exist; SQLSTATE 42P01";
    const r = await step([[500, { error }]]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("migration step of database main failed (HTTP 500):");
    expect(r.stderr).toContain(JSON.stringify({ error }));
    expect(r.seen).toHaveLength(1);
  });
});
