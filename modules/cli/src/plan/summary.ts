import { ChangeKind, ResourceChange, TerraformPlan, changeKind } from "./plan-json";
import { StatefulKind, statefulKind } from "./stateful";

/** What one stack's plan does, counted the way `terraform plan` prints it, plus what needs a second look. */
export interface StackSummary {
  readonly stack: string;
  readonly terraformVersion?: string;
  readonly adds: number;
  readonly changes: number;
  readonly destroys: number;
  readonly replaces: number;
  readonly imports: number;
  readonly forgets: number;
  /** Resources changed outside Terraform (found while refreshing). */
  readonly drifted: number;
  readonly outputsChanged: number;
  /** Destroys and replacements of stateful resources. */
  readonly dangerous: readonly DangerousChange[];
  readonly items: readonly { readonly address: string; readonly kind: ChangeKind }[];
  readonly errored: boolean;
}

export interface DangerousChange {
  readonly stack: string;
  readonly address: string;
  readonly type: string;
  readonly kind: StatefulKind;
  readonly action: "delete" | "replace";
  /** Attributes that force the replacement, e.g. `engine_version`. */
  readonly forcedBy: readonly string[];
}

export function summarizePlan(stack: string, plan: TerraformPlan): StackSummary {
  const counts: Record<ChangeKind, number> = { create: 0, update: 0, delete: 0, replace: 0, forget: 0, import: 0 };
  const items: { address: string; kind: ChangeKind }[] = [];
  const dangerous: DangerousChange[] = [];
  for (const rc of plan.resource_changes ?? []) {
    const kind = changeKind(rc);
    if (!kind) continue;
    counts[kind]++;
    if (rc.change.importing && kind !== "import") counts.import++;
    items.push({ address: rc.address, kind });
    if (kind === "delete" || kind === "replace") {
      const stateful = statefulKind(rc.type, rc.address, nameOf(rc));
      if (stateful) dangerous.push({ stack, address: rc.address, type: rc.type, kind: stateful, action: kind, forcedBy: (rc.change.replace_paths ?? []).map((p) => p.join(".")) });
    }
  }
  return {
    stack,
    terraformVersion: plan.terraform_version,
    adds: counts.create,
    changes: counts.update,
    destroys: counts.delete,
    replaces: counts.replace,
    imports: counts.import,
    forgets: counts.forget,
    drifted: (plan.resource_drift ?? []).filter((d) => d.mode === "managed").length,
    outputsChanged: Object.values(plan.output_changes ?? {}).filter((o) => !o.actions.every((a) => a === "no-op")).length,
    dangerous,
    items,
    errored: plan.errored === true,
  };
}

/** The resource's own name from its planned or prior values (`name`, `queue_name`, …), for DLQ detection. */
function nameOf(rc: ResourceChange): string {
  for (const values of [rc.change.before, rc.change.after]) {
    if (values && typeof values === "object") {
      const v = values as Record<string, unknown>;
      for (const key of ["name", "queue_name", "topic", "display_name"]) if (typeof v[key] === "string") return v[key] as string;
    }
  }
  return "";
}

export const SUMMARY_MARKER = "<!-- polycloud:plan-summary -->";
const MAX_ITEMS_PER_STACK = 60;

const code = (s: string) => "`" + s.replace(/`/g, "'").replace(/\|/g, "\\|") + "`";
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function headline(s: StackSummary): string {
  const parts = [
    s.adds && `${s.adds} to add`,
    s.changes && `${s.changes} to change`,
    s.destroys && `${s.destroys} to destroy`,
    s.replaces && `${s.replaces} to replace`,
    s.imports && `${s.imports} to import`,
    s.forgets && `${s.forgets} to forget`,
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : "no changes";
}

const ICON: Record<ChangeKind, string> = { create: "+", update: "~", delete: "-", replace: "-/+", forget: "forget", import: "import" };

/**
 * Markdown for the pull-request comment (and the drift issue): stateful destroys and replacements
 * first, then one row per stack, then the resource list per stack in a collapsed section.
 */
export function renderMarkdown(summaries: readonly StackSummary[], options: { title?: string } = {}): string {
  const lines: string[] = [SUMMARY_MARKER, `## ${options.title ?? "Terraform plan"}`, ""];
  const dangerous = summaries.flatMap((s) => s.dangerous);
  const errored = summaries.filter((s) => s.errored);
  if (errored.length) {
    lines.push("> [!WARNING]", `> The plan of ${errored.map((s) => code(s.stack)).join(", ")} errored; the counts below are incomplete.`, "");
  }
  if (dangerous.length) {
    lines.push(
      "> [!CAUTION]",
      `> **${plural(dangerous.length, "stateful resource")} will be destroyed or replaced.** Data in them is lost unless it is backed up or moved first.`,
      "",
      "| Stack | Resource | Kind | Action | Forced by |",
      "|---|---|---|---|---|",
      ...dangerous.map((d) => `| ${d.stack} | ${code(d.address)} | ${d.kind} | **${d.action === "replace" ? "replace" : "destroy"}** | ${d.forcedBy.map(code).join(", ") || "—"} |`),
      "",
    );
  }
  if (!summaries.length) {
    lines.push("No plans were given.");
    return lines.join("\n") + "\n";
  }
  lines.push("| Stack | Add | Change | Destroy | Replace | Stateful ⚠ | Drifted |", "|---|---:|---:|---:|---:|---:|---:|");
  for (const s of summaries) {
    lines.push(`| ${s.stack} | ${s.adds} | ${s.changes} | ${s.destroys} | ${s.replaces} | ${s.dangerous.length ? `**${s.dangerous.length}**` : 0} | ${s.drifted} |`);
  }
  lines.push("");
  for (const s of summaries) {
    if (!s.items.length) continue;
    lines.push(`<details><summary>${s.stack}: ${headline(s)}</summary>`, "", "```diff");
    const ordered = [...s.items].sort((a, b) => order(a.kind) - order(b.kind) || a.address.localeCompare(b.address));
    for (const item of ordered.slice(0, MAX_ITEMS_PER_STACK)) lines.push(`${ICON[item.kind].padEnd(6)} ${item.address}`);
    if (ordered.length > MAX_ITEMS_PER_STACK) lines.push(`… and ${ordered.length - MAX_ITEMS_PER_STACK} more`);
    lines.push("```", "", "</details>", "");
  }
  return lines.join("\n").replace(/\n+$/, "") + "\n";
}

function order(kind: ChangeKind): number {
  return ["delete", "replace", "update", "create", "import", "forget"].indexOf(kind);
}

/** `plans/dev-aws.json`, `dev-aws.plan.json` or `dev-aws/plan.json` → `dev-aws`. */
export function stackNameFromPath(file: string): string {
  const parts = file.split(/[\\/]/).filter(Boolean);
  const base = parts[parts.length - 1] ?? file;
  const stem = base.replace(/\.json$/, "").replace(/\.(plan|tfplan)$/, "");
  return stem === "plan" || stem === "tfplan" ? (parts[parts.length - 2] ?? stem) : stem;
}
