/** IAM policy documents as plain JSON. Tokens inside strings resolve to Terraform references. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

export function policyDocument(statements: readonly Statement[]): string {
  for (const s of statements) {
    const actions = ([] as string[]).concat(s.Action as string[]);
    const resources = ([] as string[]).concat(s.Resource as string[]);
    if (s.Effect === "Allow" && actions.includes("*") && resources.includes("*")) {
      throw new Error(`IAM statement ${s.Sid ?? ""} combines '*' action with '*' resource; this is never allowed`);
    }
  }
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export function assumeRolePolicy(service: string, condition?: Statement["Condition"]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole", ...(condition ? { Condition: condition } : {}) }],
  });
}

/** Denies any request to `resource` that is not made over TLS. */
export function denyInsecureTransport(action: string, resource: string | string[]): Statement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: action,
    Resource: resource,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/**
 * Parses a synthesized policy document. Terraform interpolations (`${...}`, which may contain
 * quotes) are replaced by a placeholder first, so the JSON structure can be inspected.
 */
export function parsePolicy(text: string): { Statement: Statement[] } {
  return JSON.parse(text.replace(/\$\{[^}]*\}/g, "TF_REF"));
}
