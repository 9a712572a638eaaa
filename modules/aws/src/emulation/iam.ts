import { createHash } from "node:crypto";
import { AwsValues } from "./values";

type Statement = { Effect: "Allow" | "Deny"; Action?: string | string[]; NotAction?: string | string[]; Resource?: string | string[]; NotResource?: string | string[]; Principal?: any; Condition?: Record<string, Record<string, string | string[]>> };

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string, caseless = false) => {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, caseless ? "i" : "");
  return re.test(value);
};

/** Condition operators the emulated policies use; a key missing from the request context fails the condition, as on AWS. */
function conditionsHold(condition: Statement["Condition"], context: Record<string, string>): boolean {
  for (const [rawOp, entries] of Object.entries(condition ?? {})) {
    const ifExists = rawOp.endsWith("IfExists");
    const op = rawOp.replace(/^For(Any|All)Value:/, "").replace(/IfExists$/, "");
    for (const [key, expected] of Object.entries(entries)) {
      const actual = context[key];
      if (actual === undefined) { if (ifExists) continue; return false; }
      const values = list(expected);
      const test: Record<string, () => boolean> = {
        StringEquals: () => values.includes(actual), ArnEquals: () => values.includes(actual), Bool: () => values.includes(actual),
        StringEqualsIgnoreCase: () => values.some((v) => v.toLowerCase() === actual.toLowerCase()),
        StringLike: () => values.some((v) => glob(v, actual)), ArnLike: () => values.some((v) => glob(v, actual)),
        StringNotEquals: () => !values.includes(actual), ArnNotEquals: () => !values.includes(actual),
        StringNotLike: () => !values.some((v) => glob(v, actual)), ArnNotLike: () => !values.some((v) => glob(v, actual)),
      };
      if (!test[op]?.()) return false;
    }
  }
  return true;
}

export function statementsOf(policy: unknown): Statement[] {
  const doc = typeof policy === "string" ? JSON.parse(policy) : policy;
  return list(doc?.Statement as any).map((s: any) => s as Statement);
}

/** Whether `statements` allow `action` on `resource` (an explicit Deny wins). */
export function allows(statements: Statement[], action: string, resource: string, context: Record<string, string> = {}, principal?: (p: any) => boolean): boolean {
  let allowed = false;
  for (const s of statements) {
    if (principal && !principal(s.Principal)) continue;
    const actionMatch = s.NotAction ? !list(s.NotAction).some((a) => glob(a, action, true)) : list(s.Action).some((a) => glob(a, action, true));
    const resourceMatch = s.NotResource ? !list(s.NotResource).some((r) => glob(r, resource)) : s.Resource === undefined || list(s.Resource).some((r) => glob(r, resource));
    if (!actionMatch || !resourceMatch || !conditionsHold(s.Condition, context)) continue;
    if (s.Effect === "Deny") return false;
    allowed = true;
  }
  return allowed;
}

export interface Principal {
  readonly role: string;
  readonly roleArn: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/**
 * Roles of the stack as principals: each gets temporary credentials (what Lambda puts in a
 * function's environment), and its inline policies (aws_iam_role_policy) decide what it may do.
 * Conditions are evaluated for the keys the emulation knows (aws:SourceArn, aws:SourceAccount);
 * any other key fails the statement.
 */
export class AwsIam {
  private readonly principals = new Map<string, Principal>();

  constructor(private readonly values: AwsValues) {
    for (const [name] of values.resources("aws_iam_role")) {
      const h = createHash("sha256").update(`${values.stack.name}/${name}`).digest("hex");
      const p: Principal = {
        role: name, roleArn: String(values.value("aws_iam_role", name, values.resource("aws_iam_role", name), "arn")),
        accessKeyId: `ASIA${h.slice(0, 16).toUpperCase()}`, secretAccessKey: h.slice(16, 56), sessionToken: `IQoJb3JpZ2luX2Vj${h}`,
      };
      this.principals.set(p.accessKeyId, p);
    }
  }

  principalOfRole(roleRef: unknown): Principal {
    const arn = String(this.values.resolve(roleRef));
    const p = [...this.principals.values()].find((x) => x.roleArn === arn);
    if (!p) throw new Error(`runner (aws): no role ${arn}`);
    return p;
  }

  byAccessKey(accessKeyId: string): Principal | undefined {
    return this.principals.get(accessKeyId);
  }

  secretOf = (accessKeyId: string): string | undefined => this.principals.get(accessKeyId)?.secretAccessKey;

  /** The identity policies of a role decide `action` on `resource`. */
  roleAllows(p: Principal, action: string, resource: string, context: Record<string, string> = {}): boolean {
    const statements = this.values.resources("aws_iam_role_policy")
      .filter(([, pol]) => [p.role, p.roleArn].includes(String(this.values.resolve(pol.role))) || String(this.values.resolve(pol.role)) === this.values.nameOf("aws_iam_role", p.role))
      .flatMap(([, pol]) => statementsOf(this.values.resolve(pol.policy)));
    return allows(statements, action, resource, { "aws:SourceAccount": this.values.account, ...context });
  }
}
