import fc from "fast-check";
import { CLOUDS, Cloud, POLICY_RULES, PolicyRule, PolicyStack, TerraformJson, checkSafely, runPolicy, unevaluable } from "@polycloud/core";

/**
 * No input that Terraform JSON can hold makes a rule throw. Bodies are generated from the
 * attribute names the rules read (declared `reads` plus the names they use for presence and
 * cross-references), with every shape a value can take: strings where blocks are expected,
 * lists and objects swapped, missing and null fields, `${...}` expressions, JSON-looking text.
 * Each rule's `check` is called directly, so the engine's safety net cannot hide a crash.
 */
/**
 * Attribute names a rule reads: its declared paths, every snake_case name or quoted key in its
 * source, and the names shared helpers read (tags, policy documents, members). Bodies are drawn
 * from this vocabulary so that generated values land where the rule looks.
 */
const SHARED_KEYS = ["tags", "labels", "user_labels", "policy", "inline_policy", "member", "members", "Statement", "Effect", "Action", "Resource", "Principal",
  "Condition", "NotAction", "NotResource", "Sid", "AWS", "dynamic", "content", "lifecycle", "prevent_destroy", "name", "toString", "__proto__"];
function vocabulary(rule: PolicyRule): string[] {
  const source = rule.check.toString();
  const fromSource = [...source.matchAll(/\.([a-z_][a-z0-9_]*)\b|"([a-z_][a-z0-9_]*)"/g)].map((m) => m[1] ?? m[2]).filter((k) => k.length > 2 && !/^(map|filter|flatMap|push|length|some|every|includes|test|join|replace|slice|startsWith|entries|keys|values|has|get|set|add|address|message|checkov|unevaluated)$/.test(k));
  return [...new Set([...Object.values(rule.reads).flat().flatMap((p) => p.split(".")), ...fromSource, ...SHARED_KEYS])];
}

const expression = fc.constantFrom("${var.x}", "${merge(local.tags, { a = \"b\" })}", "${aws_sqs_queue.q.arn}", "${jsonencode({ Statement = [{ Action = \"*\" }] })}",
  "${data.aws_iam_policy_document.d.json}", "${each.value}", "${count.index}", "${true}", "prefix-${var.x}", "${", "}");
const oddText = fc.constantFrom("*", "", "0.0.0.0/0", "::/0", "allUsers", "true", "false", "True", "1", "-1", "22", "1-65535", "TLS1_0", "ALLOW_ALL", "Inbound", "Allow",
  "alias/aws/s3", "arn:aws:iam::*:root", "{", "[]", "{}", "null", '{"Statement":"x"}', '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}]}',
  '{"Statement":[{"Action":["s3:*"],"Resource":["*"]},null,5]}', '{"deadLetterTargetArn":5}', "<rate-limit />");
const leaf = fc.oneof(fc.string({ maxLength: 12 }), expression, oddText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));
function stackFor(rule: PolicyRule): fc.Arbitrary<PolicyStack> {
  const keys = fc.constantFrom(...vocabulary(rule));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, fc.array(tie("value"), { maxLength: 3 }), tie("body")),
    body: fc.dictionary(keys, tie("value"), { maxKeys: 6 }),
  }));
  /** A resource body as Terraform JSON may hold it: an object, a list of objects (hcl2json), or anything. */
  const body = fc.oneof({ weight: 6, arbitrary: fc.dictionary(keys, value, { maxKeys: 8 }) }, { weight: 2, arbitrary: fc.array(fc.dictionary(keys, value, { maxKeys: 6 }), { maxLength: 2 }) }, { weight: 1, arbitrary: leaf });
  const types = [...Object.keys(rule.reads).filter((t) => !t.startsWith("data.")), "aws_lambda_function", "azurerm_key_vault", "google_sql_database_instance"];
  // Data sources the rules read (`data.<type>` in reads) go under `data`, as Terraform JSON holds them.
  const dataTypes = [...Object.keys(rule.reads).filter((t) => t.startsWith("data.")).map((t) => t.slice(5)), "aws_iam_policy_document"];
  const byName = fc.oneof({ weight: 8, arbitrary: fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), body, { minKeys: 1, maxKeys: 3 }) }, { weight: 1, arbitrary: value });
  const resource = fc.dictionary(fc.constantFrom(...types), byName, { maxKeys: 4 });
  const data = fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 6, arbitrary: fc.dictionary(fc.constantFrom(...dataTypes), byName, { maxKeys: 2 }) }, { weight: 1, arbitrary: value });
  return fc.record({
    cloud: fc.constantFrom(...(CLOUDS as readonly Cloud[])),
    environment: fc.constantFrom("dev", "prod"),
    minLogDays: fc.oneof(fc.integer({ min: 1, max: 400 }), fc.constant(undefined)),
    resource: fc.oneof({ weight: 9, arbitrary: resource }, { weight: 1, arbitrary: value }),
    provider: fc.oneof(fc.constant(undefined), fc.dictionary(fc.constantFrom("aws", "google", "azurerm"), value, { maxKeys: 2 })),
    terraform: fc.oneof(fc.constant(undefined), value, fc.record({ backend: value })),
    data,
    retention: fc.oneof(fc.constant(undefined), fc.record({ logDays: fc.integer({ min: 1, max: 400 }), archiveDays: fc.integer({ min: 0, max: 400 }), backupDays: fc.integer({ min: 1, max: 35 }) })),
  }).map(({ cloud, environment, minLogDays, resource: res, provider, terraform, data: d, retention }) => ({
    name: `${environment}-${cloud}`, cloud, environment, minLogDays, retention,
    json: { resource: res, provider, terraform, data: d } as unknown as TerraformJson,
  }));
}

describe.each(POLICY_RULES.map((r) => [r.id, r] as const))("%s never throws on generated bodies", (_id, rule) => {
  test("returns well-formed violations for any body its resource types can hold", () => {
    fc.assert(fc.property(stackFor(rule), (stack) => {
      const out = rule.check(stack);
      expect(Array.isArray(out)).toBe(true);
      for (const v of out) {
        expect(typeof v.address).toBe("string");
        expect(typeof v.message).toBe("string");
        // Every finding names a condition the rule declares, or is a cannot-evaluate note.
        expect([...Object.keys(rule.conditions), "cannot-evaluate"]).toContain(v.condition);
      }
    }), { numRuns: 100, seed: 16 });
  });
});

test("the engine never throws on generated stacks, and its notes name a resource and an attribute", () => {
  const anyRule = fc.constantFrom(...POLICY_RULES);
  fc.assert(fc.property(anyRule.chain(stackFor), (stack) => {
    const { findings } = runPolicy([stack]);
    for (const f of findings.filter((x) => x.note)) {
      expect(f.message).toMatch(/^cannot evaluate/);
      expect(f.unevaluated).toBeTruthy();
    }
  }), { numRuns: 120, seed: 16 });
});

describe("cannot-evaluate notes", () => {
  test("an expression, a block given as a string and a dynamic block each name the attribute", () => {
    expect(unevaluable({ settings: "${var.settings}" }, "settings.ip_configuration.ipv4_enabled")).toBe("settings is an expression");
    expect(unevaluable({ settings: [{ ip_configuration: "x" }] }, "settings.ip_configuration.ipv4_enabled")).toBe("settings.ip_configuration is not a block");
    expect(unevaluable({ dynamic: { rule: [{ for_each: "${var.rules}", content: {} }] } }, "rule.action")).toBe("rule is a dynamic block");
    expect(unevaluable({ dynamic: { rule: [{ for_each: [1, 2], content: {} }] } }, "rule.action")).toBeUndefined();
    expect(unevaluable({ member: "serviceAccount:${google_service_account.a.email}" }, "member")).toBeUndefined();
    expect(unevaluable({ settings: { ip_configuration: { ipv4_enabled: false } } }, "settings.ip_configuration.ipv4_enabled")).toBeUndefined();
  });

  test("a note for one resource never hides findings on it from other rules or on other resources", () => {
    const stack: PolicyStack = {
      name: "prod-gcp", cloud: "gcp", environment: "prod", json: {
        resource: {
          google_sql_database_instance: { a: { settings: "${var.settings}" }, b: { settings: { ip_configuration: { ipv4_enabled: true } } } },
        },
      },
    };
    const { findings } = runPolicy([stack]);
    expect(findings).toContainEqual(expect.objectContaining({ rule: "PC003", address: "google_sql_database_instance.a", note: true, message: "cannot evaluate: settings is an expression" }));
    expect(findings).toContainEqual(expect.objectContaining({ rule: "PC003", address: "google_sql_database_instance.b", message: "public IPv4 enabled" }));
    expect(findings).toContainEqual(expect.objectContaining({ rule: "PC060", address: "google_sql_database_instance.a", message: "no lifecycle.prevent_destroy" }));
  });

  test("a rule that throws on one resource is re-run without it: a note for the culprit, findings for the rest", () => {
    const fragile: PolicyRule = {
      id: "PC999", severity: "high", title: "a fragile rule written by a team", rationale: "to prove the engine's safety net", conditions: { size: { title: "a size" } }, fix: "none needed", reads: {},
      check: ({ json }) => Object.entries(json.resource?.x_thing ?? {}).map(([name, r]) => ({ address: `x_thing.${name}`, condition: "size", message: `size ${(r as { size: { n: number } }).size.n.toFixed(0)}` })),
    };
    const stack: PolicyStack = { name: "dev-aws", cloud: "aws", environment: "dev", json: { resource: { x_thing: { good: { size: { n: 1 } }, bad: { size: "${var.size}" } } } } };
    expect(runPolicy([stack], [], [fragile]).findings.map((f) => [f.address, f.note ?? false, f.message.replace(/\(.*\)/, "(...)")])).toEqual([
      ["x_thing.bad", true, "cannot evaluate: the rule failed on this resource (...)"],
      ["x_thing.good", false, "size 1"],
    ]);
    expect(checkSafely(fragile, stack)).toHaveLength(2);
  });
});
