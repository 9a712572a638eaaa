import * as fs from "node:fs";
import * as path from "node:path";

/** An accepted difference between clouds in a journey's outcome, as docs/parity.md lists it. */
export interface JourneyDeviation { readonly journey: string; readonly cloud: string; readonly outcome: string; readonly reason: string }

/** The rows of the table under "## Journeys" in docs/parity.md (`| journey | cloud | outcome | reason |`). */
export function journeyDeviations(root = path.resolve(__dirname, "../..")): JourneyDeviation[] {
  const text = fs.readFileSync(path.join(root, "docs", "parity.md"), "utf8");
  const section = text.split(/^## Journeys\s*$/m)[1]?.split(/^## /m)[0];
  if (section === undefined) throw new Error("docs/parity.md has no '## Journeys' section");
  return section.split("\n").filter((l) => /^\|/.test(l) && !/^\|\s*-/.test(l)).slice(1)
    .map((l) => l.split("|").slice(1, -1).map((c) => c.trim().replace(/^`|`$/g, "")))
    .filter((c) => c.length >= 4)
    .map(([journey, cloud, outcome, reason]) => ({ journey, cloud, outcome, reason }));
}

/**
 * Differences between the clouds in a table of outcomes (journey → cloud → outcome) that
 * docs/parity.md does not list: a journey whose clouds disagree, for every cloud whose outcome is
 * not the majority's, unless that (journey, cloud, outcome) is a listed deviation.
 */
export function unlistedDifferences(table: Record<string, Record<string, string>>, listed: readonly JourneyDeviation[]): string[] {
  const out: string[] = [];
  for (const [journey, byCloud] of Object.entries(table)) {
    const values = Object.values(byCloud);
    if (new Set(values).size <= 1) continue;
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const majority = [...counts].sort((a, b) => b[1] - a[1])[0][0];
    for (const [cloud, outcome] of Object.entries(byCloud)) {
      if (outcome === majority) continue;
      if (listed.some((d) => d.journey === journey && d.cloud === cloud && d.outcome === outcome)) continue;
      out.push(`${journey}: ${cloud} '${outcome}' where the others have '${majority}'`);
    }
  }
  return out;
}
