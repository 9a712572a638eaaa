import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The azure-functions release whose Event Grid trigger decodes the CloudEvents 1.0 schema into
 * func.CloudEvent (Azure/azure-functions-python-library#314). The platform's Event Grid topics and
 * subscriptions use that schema; an older library reads every event as the Event Grid schema, so
 * an event arrives without a type.
 */
export const AZURE_FUNCTIONS_CLOUD_EVENTS = "1.25.0b4";

type VersionKey = [number[], number, number];

/** A PEP 440 version as release numbers, pre-release kind (a < b < rc < final) and number. */
function versionKey(text: string): VersionKey | undefined {
  const m = /^v?(\d+(?:\.\d+)*)(?:[-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?(\d*))?/i.exec(text.trim());
  if (!m) return undefined;
  const kind = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 }[(m[2] ?? "").toLowerCase() as "a"] ?? 3;
  return [m[1].split(".").map(Number), kind, Number(m[3] || 0)];
}

function atLeast(version: string, min: string): boolean {
  const a = versionKey(version);
  const b = versionKey(min)!;
  if (!a) return false;
  for (let i = 0; i < Math.max(a[0].length, b[0].length); i++) {
    const d = (a[0][i] ?? 0) - (b[0][i] ?? 0);
    if (d) return d > 0;
  }
  return a[1] !== b[1] ? a[1] > b[1] : a[2] >= b[2];
}

/** The requirement lines of a requirements file and of the files it includes (-r), comments and options dropped. */
function requirementLines(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file) || !fs.existsSync(file)) return [];
  seen.add(file);
  const out: string[] = [];
  const text = fs.readFileSync(file, "utf8").replace(/\\\r?\n/g, " ");
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    const include = /^(?:-r|--requirement)(?:\s+|=)(\S+)$/.exec(line);
    if (include) out.push(...requirementLines(path.resolve(path.dirname(file), include[1]), seen));
    else if (line && !line.startsWith("-")) out.push(line);
  }
  return out;
}

/**
 * Whether a Python function folder's requirements.txt guarantees azure-functions at `min` or later:
 * a requirement for azure-functions (any spelling PEP 503 normalizes to it) whose specifiers give a
 * lower bound (==, ===, ~=, >=, >) at `min` or later. `found` is the requirement as written, if any.
 */
export function azureFunctionsRequirement(dir: string, min = AZURE_FUNCTIONS_CLOUD_EVENTS): { ok: boolean; found?: string } {
  const lines = requirementLines(path.join(dir, "requirements.txt"));
  const found = lines.filter((l) => /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(l)?.[1].toLowerCase().replace(/[-_.]+/g, "-") === "azure-functions");
  if (!found.length) return { ok: false };
  const ok = found.some((l) => {
    const spec = l.replace(/;.*$/, "").replace(/^[A-Za-z0-9._-]+\s*(\[[^\]]*\])?/, "").trim();
    return spec.split(",").some((part) => {
      const m = /^(===|==|~=|>=|>)\s*([^\s*]+)(\.\*)?$/.exec(part.trim());
      return !!m && atLeast(m[2], min);
    });
  });
  return { ok, found: found.join("; ") };
}
