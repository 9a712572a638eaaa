import { randomBytes } from "node:crypto";
import { EmulationHost, HttpExchange, HttpAnswer, jsonAnswer, textAnswer } from "@polycloud/core";
import { conditionHolds } from "./iam-condition";
import { GcpValues } from "./values";

/** Roles that contain another (the ones the emulated checks meet). */
const INCLUDES: Record<string, string[]> = {
  "roles/pubsub.publisher": ["roles/pubsub.editor", "roles/pubsub.admin", "roles/editor", "roles/owner"],
  "roles/run.invoker": ["roles/run.admin", "roles/run.developer", "roles/cloudfunctions.invoker", "roles/editor", "roles/owner"],
  "roles/cloudsql.instanceUser": ["roles/cloudsql.admin", "roles/owner"],
  "roles/cloudsql.client": ["roles/cloudsql.admin", "roles/cloudsql.editor", "roles/editor", "roles/owner"],
};

/** Permissions of the predefined roles, as far as the emulated APIs check them. */
const PREDEFINED_PERMISSIONS: Record<string, string[]> = {
  "roles/owner": ["*"],
  "roles/cloudsql.admin": ["cloudsql.*"],
  "roles/cloudsql.editor": ["cloudsql.instances.get", "cloudsql.users.list", "cloudsql.databases.*"],
  "roles/cloudsql.viewer": ["cloudsql.instances.get", "cloudsql.users.list"],
};

/**
 * Google identities on the runner: OAuth access tokens and OIDC ID tokens of service accounts
 * (signed by the runner's "google" key, `iss` https://accounts.google.com), the metadata server
 * each function reaches at 169.254.169.254 / metadata.google.internal for its own service
 * account, and IAM: project bindings (google_project_iam_member) and resource bindings
 * (topic, Cloud Run service, function, secret) read from the JSON.
 */
export class GcpIdentity {
  private readonly accessTokens = new Map<string, { email: string; until: number }>();

  constructor(private readonly host: EmulationHost, private readonly values: GcpValues) {}

  accessToken(email: string): { token: string; expiresIn: number } {
    const token = `ya29.local.${randomBytes(24).toString("base64url")}`;
    this.accessTokens.set(token, { email, until: this.host.clock.now() + 3600_000 });
    return { token, expiresIn: 3599 };
  }

  /** The service account behind a bearer access token, if valid. */
  whoHas(token: string): string | undefined {
    const t = this.accessTokens.get(token);
    return t && t.until > this.host.clock.now() ? t.email : undefined;
  }

  idToken(email: string, audience: string): Promise<string> {
    return this.host.tokens.sign("google", { iss: "https://accounts.google.com", aud: audience, sub: email, azp: email, email, email_verified: true });
  }

  async verifyIdToken(token: string, audiences: readonly string[]): Promise<string | undefined> {
    const claims = await this.host.tokens.verify("google", token);
    if (!claims || claims.iss !== "https://accounts.google.com" || !audiences.includes(String(claims.aud))) return undefined;
    return String(claims.email);
  }

  /** Whether `member` (`serviceAccount:<email>`, `allUsers`) holds `role` on the project or on a resource whose binding matches. */
  hasRole(member: string, role: string, onResource: (binding: { type: string; config: any }) => boolean = () => false, context: Readonly<Record<string, string>> = {}): boolean {
    const roles = [role, ...(INCLUDES[role] ?? [])];
    for (const [type, items] of Object.entries(this.values.stack.json.resource ?? {})) {
      if (!/_iam_(member|binding)$/.test(type)) continue;
      for (const raw of Object.values<any>(items)) {
        let b: any;
        try { b = this.values.resolve(raw); } catch { continue; }
        if (!roles.includes(b.role)) continue;
        const members: string[] = b.members ?? [b.member];
        if (!members.includes(member) && !members.includes("allUsers")) continue;
        if (type === "google_project_iam_member" || type === "google_project_iam_binding") {
          if (!b.condition || conditionHolds(String(b.condition.expression), context)) return true;
          continue;
        }
        if (onResource({ type, config: b })) return true;
      }
    }
    return false;
  }

  /**
   * Whether `member` holds `permission` through a project binding (its condition holding in
   * `context`): custom roles (google_project_iam_custom_role) by their permissions, predefined
   * roles by the permissions the emulated APIs check.
   */
  hasPermission(member: string, permission: string, context: Readonly<Record<string, string>> = {}): boolean {
    const custom = new Map(this.values.resources("google_project_iam_custom_role").map(([, r]) => {
      const c = this.values.resolve(r);
      return [`projects/${c.project ?? this.values.project}/roles/${c.role_id}`, (c.permissions ?? []) as string[]];
    }));
    const granted = (role: string) => (custom.get(role) ?? PREDEFINED_PERMISSIONS[role] ?? []).some((p) => p === permission || (p.endsWith(".*") && permission.startsWith(p.slice(0, -1))) || p === "*");
    for (const type of ["google_project_iam_member", "google_project_iam_binding"]) {
      for (const [, raw] of this.values.resources(type)) {
        let b: any;
        try { b = this.values.resolve(raw); } catch { continue; }
        const members: string[] = b.members ?? [b.member];
        if (!members.includes(member) || !granted(String(b.role))) continue;
        if (!b.condition || conditionHolds(String(b.condition.expression), context)) return true;
      }
    }
    return false;
  }

  /** A metadata server for one function: its service account's tokens, the project and the region. */
  metadataHandler(email: string): (req: HttpExchange) => Promise<HttpAnswer> {
    return async (req) => {
      if (req.headers["metadata-flavor"] !== "Google") return textAnswer(403, "Missing Metadata-Flavor:Google header.");
      const url = new URL(req.url, "http://metadata.google.internal");
      const p = url.pathname.replace(/^\/computeMetadata\/v1\//, "");
      const sa = /^instance\/service-accounts\/(default|[^/]+)\/(.+)$/.exec(p);
      const text = (v: string) => textAnswer(200, v, { "metadata-flavor": "Google" });
      if (sa && (sa[1] === "default" || sa[1] === email)) {
        if (sa[2] === "token") { const t = this.accessToken(email); return jsonAnswer(200, { access_token: t.token, expires_in: t.expiresIn, token_type: "Bearer" }, { "metadata-flavor": "Google" }); }
        if (sa[2] === "identity") return text(await this.idToken(email, url.searchParams.get("audience") ?? ""));
        if (sa[2] === "email") return text(email);
        if (sa[2] === "scopes") return text("https://www.googleapis.com/auth/cloud-platform");
      }
      if (p === "project/project-id") return text(this.values.project);
      if (p === "project/numeric-project-id") return text("123456789012");
      if (p === "instance/region") return text(`projects/123456789012/regions/${this.values.region}`);
      if (p === "" || p === "instance/") return text("");
      return textAnswer(404, "Not Found", { "metadata-flavor": "Google" });
    };
  }
}
