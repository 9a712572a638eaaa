import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Cloud, Problems, escapeTerraform } from "@polycloud/core";
import { toEventPattern } from "@polycloud/aws";
import { literal, quote, toPubsubFilter } from "@polycloud/gcp";
import { apiPolicyXml, xml } from "@polycloud/azure";
import { envByName, validationMessages } from "../helpers/synth";
import { findOnPath } from "../helpers/terraform";
import { referenceService } from "../../stacks/reference-service";

/**
 * Nothing a user writes reaches generated code unescaped: Terraform templates (`${`, `%{`),
 * XML (APIM policies), JSON (event patterns) and filter expressions (Pub/Sub, Monitoring).
 * There is no OpenAPI document to escape: the GCP gateway is a load balancer, not API Gateway.
 */
const HOSTILE = `a"b'<c>&d \${file("/etc/passwd")} %{ if true }x%{ endif }\nzürich-東京`;

/** What Terraform will read from a JSON string after template processing (for the escaped forms only). */
const terraformReads = (s: string) => s.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");

describe.each<Cloud>(["aws", "gcp", "azure"])("%s", (cloud) => {
  test("template sequences in any spec or environment string are rejected, by path", () => {
    const env = envByName("dev");
    const service = JSON.parse(JSON.stringify(referenceService(env)));
    service.functions.api.environment.GREETING = "hello ${var.x}";
    service.secrets["payment-api-key"].description = "key %{ for x in y }";
    service.gateways.public.auth.audiences = ["${data.aws_caller_identity.me.account_id}"];
    const msgs = validationMessages(env, service, cloud);
    expect(msgs).toEqual(expect.arrayContaining([
      expect.stringMatching(/property 'functions\.api\.environment\.GREETING' has value "hello \$\{var\.x\}"; allowed: text without '\$\{' or '%\{'/),
      expect.stringMatching(/property 'secrets\.payment-api-key\.description'/),
      expect.stringMatching(/property 'gateways\.public\.auth\.audiences\[0\]'/),
    ]));
    const badEnv = JSON.parse(JSON.stringify(env));
    badEnv.tags.team = "${path.module}";
    expect(validationMessages(badEnv, referenceService(env), cloud)).toContainEqual(expect.stringMatching(/environments\/dev: property 'tags\.team'/));
  });
});

test("event patterns: valid JSON that decodes to the exact value, templates neutralised", () => {
  const pattern = toEventPattern({ source: [HOSTILE], attributes: { [HOSTILE]: [HOSTILE] } });
  expect(pattern).not.toMatch(/(^|[^$])\$\{/);
  expect(JSON.parse(terraformReads(pattern))).toEqual({ source: [HOSTILE], detail: { [HOSTILE]: [HOSTILE] } });
});

test("Pub/Sub filters and Monitoring filters: quoted, backslash-escaped, templates neutralised", () => {
  const value = HOSTILE.replace("\n", " ");
  const filter = toPubsubFilter({ type: [value] }, new Problems("T"), "r")!;
  expect(terraformReads(filter)).toBe(`attributes.type = ${literal(value)}`);
  expect(literal('a"b\\c')).toBe('"a\\"b\\\\c"');
  expect(quote(value)).not.toMatch(/(^|[^$])\$\{/);
});

test("APIM policy XML: every special character is an entity; templates and C# expressions are inert", () => {
  const out = xml(HOSTILE);
  expect(out).not.toMatch(/[<>"']|\$\{|%\{|\n/);
  expect(out).toBe("a&quot;b&apos;&lt;c&gt;&amp;d &#36;{file(&quot;/etc/passwd&quot;)} &#37;{ if true }x&#37;{ endif }&#10;zürich-東京");
  expect(xml("@(context.Variables)")).toMatch(/^&#64;/);
  const policy = apiPolicyXml({ routes: [{ method: "GET", path: "/", function: "f" }], throttle: { rateLimit: 1, burstLimit: 1 }, cors: { allowOrigins: [HOSTILE] } }, { rateLimit: true });
  expect(policy).toContain(`<origin>${out}</origin>`);
});

test("escapeTerraform: Terraform itself reads the escaped text literally", () => {
  expect(escapeTerraform("${a} %{b} $x %y")).toBe("$${a} %%{b} $x %y");
  const terraform = findOnPath("terraform");
  if (!terraform) {
    console.warn("SKIPPED (loudly): no terraform on PATH, so the escape is not round-tripped through `terraform console`.");
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tf-escape-"));
  try {
    fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ locals: { x: escapeTerraform(HOSTILE) }, output: { x: { value: "${local.x}" } } }));
    const out = execFileSync(terraform, ["console"], { cwd: dir, input: "jsonencode(local.x)\n", env: { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" } }).toString().trim();
    expect(JSON.parse(JSON.parse(out))).toBe(HOSTILE);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
