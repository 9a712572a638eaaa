import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The arguments a prebuilt cdktf provider package can emit for a Terraform type, read from the
 * generated JavaScript (`lib/<folder>/index.js`): the class's `synthesizeAttributes()` and the
 * `<struct>ToTerraform` function of every nested block. The bindings are generated from the
 * provider's own schema (`terraform providers schema -json` of one provider version), so this is
 * that version's argument set, and it is exactly what the bindings pass on: an argument the
 * bindings do not know is dropped silently at synth.
 *
 * Paths are dotted from the type: `aws_db_proxy.default_auth_scheme` (an attribute),
 * `aws_db_proxy.auth` (a block) and `aws_db_proxy.auth.iam_auth`; data sources start with
 * `data.` (`data.aws_subnet.id`).
 */
export interface TypeArguments {
  readonly attributes: string[];
  readonly blocks: string[];
}

/** Terraform type → folder under lib/ and its index.js, for every resource and data source of a package. */
export function bindingFolders(packageDir: string): Map<string, string> {
  const lib = path.join(packageDir, "lib");
  const out = new Map<string, string>();
  for (const folder of fs.readdirSync(lib)) {
    const file = path.join(lib, folder, "index.js");
    if (!fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, "utf8");
    const m = /\.tfResourceType\s*=\s*"([a-z0-9_]+)"/.exec(text) ?? /static\s+tfResourceType\s*=\s*"([a-z0-9_]+)"/.exec(text);
    if (m) out.set(folder.startsWith("data-") ? `data.${m[1]}` : m[1], file);
  }
  return out;
}

/** The body of `return { ... };` after `start` (the object literal's lines). */
function returnedObject(text: string, start: number): string {
  const open = text.indexOf("return {", start);
  if (open < 0) return "";
  let depth = 0;
  for (let i = open + "return ".length; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(open + "return {".length, i);
  }
  return "";
}

/** `key: expr` pairs of an object literal body (one per line, as the generator writes them). */
function entries(body: string): [string, string][] {
  return [...body.matchAll(/^\s*([a-z0-9_]+):\s*(.+?),?\s*$/gm)].map((m) => [m[1], m[2]]);
}

function walk(text: string, body: string, prefix: string, out: { attributes: Set<string>; blocks: Set<string> }, seen: Set<string>): void {
  for (const [key, expr] of entries(body)) {
    const nested = [...expr.matchAll(/(?<![.\w])([a-zA-Z0-9]+)ToTerraform\b/g)].map((m) => m[1]).find((n) => !/^(string|number|boolean|any|hash|list)$/.test(n));
    const at = `${prefix}.${key}`;
    if (!nested) {
      out.attributes.add(at);
      continue;
    }
    out.blocks.add(at);
    if (seen.has(`${at}:${nested}`)) continue;
    seen.add(`${at}:${nested}`);
    const fn = text.search(new RegExp(`^function ${nested}ToTerraform\\(struct\\)`, "m"));
    if (fn >= 0) walk(text, returnedObject(text, fn), at, out, seen);
  }
}

/** Every argument path of `type` in the package at `packageDir`; undefined when the package lacks the type. */
export function typeArguments(packageDir: string, type: string, folders = bindingFolders(packageDir)): TypeArguments | undefined {
  const file = folders.get(type);
  if (!file) return undefined;
  const text = fs.readFileSync(file, "utf8");
  const start = text.indexOf("synthesizeAttributes() {");
  const out = { attributes: new Set<string>(), blocks: new Set<string>() };
  walk(text, returnedObject(text, start), type, out, new Set());
  return { attributes: [...out.attributes].sort(), blocks: [...out.blocks].sort() };
}

/** Terraform meta-arguments: never in a provider schema. */
const META = new Set(["depends_on", "lifecycle", "provider", "count", "for_each", "provisioner", "connection", "//"]);

/**
 * Every argument path a synthesized configuration sets, judged against `known` (the schema that
 * tells attributes from blocks): `${type}.${path}` for resources, `data.${type}.${path}` for data
 * sources. A key neither attribute nor block of `known` is returned as set (and so reported).
 */
export function argumentsSet(json: { resource?: Record<string, Record<string, any>>; data?: Record<string, Record<string, any>> }, typePrefix: string, known: (type: string) => TypeArguments | undefined): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const visit = (kind: "resource" | "data") => {
    for (const [type, byName] of Object.entries(json[kind] ?? {})) {
      if (!type.startsWith(typePrefix)) continue;
      const key = kind === "data" ? `data.${type}` : type;
      const schema = known(key);
      const blocks = new Set(schema?.blocks ?? []);
      for (const [name, body] of Object.entries(byName)) {
        const add = (p: string) => used.set(p, [...(used.get(p) ?? []), `${key}.${name}`]);
        const descend = (value: unknown, at: string) => {
          for (const item of Array.isArray(value) ? value : [value]) {
            if (!item || typeof item !== "object") continue;
            for (const [k, v] of Object.entries(item)) {
              const p = `${at}.${k}`;
              add(p);
              if (blocks.has(p)) descend(v, p);
            }
          }
        };
        for (const [k, v] of Object.entries(body)) {
          if (META.has(k)) continue;
          add(`${key}.${k}`);
          if (blocks.has(`${key}.${k}`)) descend(v, `${key}.${k}`);
        }
      }
    }
  };
  visit("resource");
  visit("data");
  return used;
}
