import { Problems } from "./validation";

/**
 * Terraform evaluates `${...}` and `%{...}` inside every string of the JSON we synthesize. A spec
 * value containing them would become code (e.g. `${file("/etc/passwd")}`), so user-supplied
 * strings are rejected when they carry template sequences, and strings the modules build from user
 * input (event patterns, filters, policy documents) are escaped with `escapeTerraform` as well.
 */
const TEMPLATE = /\$\{|%\{/;

/** `${` → `$${`, `%{` → `%%{`: Terraform then reads the characters literally. */
export function escapeTerraform(value: string): string {
  // Function replacements: in a replacement string `$$` would itself mean a single `$`.
  return value.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/** Records every string under `value` that contains a Terraform template sequence. */
export function rejectTemplateSequences(p: Problems, path: string, value: unknown): void {
  if (typeof value === "string") {
    if (TEMPLATE.test(value)) p.add(path, value, "text without '${' or '%{' (Terraform would evaluate it as a template)");
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => rejectTemplateSequences(p, `${path}[${i}]`, v));
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (TEMPLATE.test(k)) p.add(`${path}.${k}`, k, "a key without '${' or '%{'");
      rejectTemplateSequences(p, path ? `${path}.${k}` : k, v);
    }
  }
}
