import { randomUUID } from "node:crypto";
import { EmulationHost, componentKeyOf } from "@polycloud/core";
import { Entra } from "./entra";
import { AzureValues } from "./values";

export interface Workflow {
  /** `<service>/rule:<bus>/<rule>` for a bus rule's schedule (`schedule-<rule>`), else the workflow's component. */
  readonly key: string;
  /** Runs the workflow once, as its recurrence trigger would. */
  run(): Promise<void>;
}

/** Logic App expressions used in HTTP action bodies: `@{guid()}`, `@{utcNow()}`. */
function expressions(v: unknown, now: number): unknown {
  if (typeof v === "string") return v.replace(/@\{guid\(\)\}/g, () => randomUUID()).replace(/@\{utcNow\(\)\}/g, () => new Date(now).toISOString());
  if (Array.isArray(v)) return v.map((x) => expressions(x, now));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expressions(x, now)]));
  return v;
}

/**
 * Logic Apps (Consumption) that a recurrence triggers, run on demand: each HTTP action posts its
 * body (Logic App expressions evaluated) to its URI, authenticated as the workflow's system
 * identity for the action's audience (ManagedServiceIdentity).
 */
export function logicApps(host: EmulationHost, values: AzureValues, entra: Entra): Workflow[] {
  return values.resources("azurerm_logic_app_workflow").map(([address]) => {
    const component = componentKeyOf(address) ?? address;
    const rule = address.split("_").find((p) => p.startsWith("schedule-"))?.slice("schedule-".length);
    const actions = values.resources("azurerm_logic_app_action_custom").filter(([, a]) => String(a.logic_app_id).includes(`azurerm_logic_app_workflow.${address}.`));
    return {
      key: rule ? component.replace(/\/bus:(.+)$/, `/rule:$1/${rule}`) : component,
      async run() {
        for (const [, raw] of actions) {
          const action = JSON.parse(String(values.resolve(raw.body)));
          if (action.type !== "Http") { host.log("logic app", `${address}: action type ${action.type} is not emulated`); continue; }
          const inputs = expressions(action.inputs, host.clock.now()) as any;
          const headers: Record<string, string> = { ...(inputs.headers ?? {}) };
          if (inputs.authentication?.type === "ManagedServiceIdentity") {
            headers.Authorization = `Bearer ${entra.issue(entra.systemAssigned("azurerm_logic_app_workflow", address), String(inputs.authentication.audience)).token}`;
          }
          const res = await host.network.fetch(String(inputs.uri), { method: String(inputs.method ?? "POST"), headers, body: typeof inputs.body === "string" ? inputs.body : JSON.stringify(inputs.body) });
          if (res.status >= 300) host.log("logic app", `${address}: the HTTP action got ${res.status}: ${res.text().slice(0, 200)}`);
        }
      },
    };
  });
}
