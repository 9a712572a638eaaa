import { EmulationHost, componentKeyOf } from "@polycloud/core";
import { Entra } from "./entra";
import { FunctionApps } from "./function-app";
import { AzureValues } from "./values";

/** The value of `--name` style options in an az command line. */
function option(args: readonly string[], ...names: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    if (names.includes(flag)) return inline ?? args[i + 1];
  }
  return undefined;
}

/**
 * `az` as the deploying identity (data.azurerm_client_config) runs it, for the commands a stack's
 * deploy steps use: `account get-access-token` (an Entra token of the deployer for `--resource`,
 * with `--query accessToken --output tsv` or the JSON az prints), and `functionapp config
 * appsettings delete` (settings of an app, which the runner reads from the JSON: a setting the app
 * does not have is a no-op, as in Azure). Anything else is refused, naming the command.
 */
export function azStandIn(values: AzureValues, entra: Entra, apps: FunctionApps): (args: readonly string[]) => Promise<{ code: number; stdout?: string; stderr?: string }> {
  const deployer = {
    principalId: String(values.resolve("${data.azurerm_client_config.deployer.object_id}")),
    clientId: String(values.resolve("${data.azurerm_client_config.deployer.client_id}")),
  };
  return async (args) => {
    const words = args.filter((a) => !a.startsWith("-")).slice(0, 4).join(" ");
    const query = option(args, "--query");
    const output = option(args, "--output", "-o") ?? "json";
    if (words.startsWith("account get-access-token")) {
      const resource = option(args, "--resource") ?? option(args, "--scope")?.replace(/\/\.default$/, "") ?? "https://management.core.windows.net/";
      const t = entra.issue(deployer, resource);
      const answer = { accessToken: t.token, expiresOn: new Date(t.expiresOn * 1000).toISOString(), expires_on: t.expiresOn, subscription: values.subscription, tenant: values.tenant, tokenType: "Bearer" };
      const picked = query ? (answer as Record<string, unknown>)[query] : answer;
      return { code: 0, stdout: `${output === "tsv" && typeof picked !== "object" ? String(picked) : JSON.stringify(picked, null, 2)}\n` };
    }
    if (words.startsWith("functionapp config appsettings delete")) {
      const name = option(args, "--name", "-n");
      const app = [...apps.apps.values()].find((a) => a.name === name);
      if (!app) return { code: 3, stderr: `ERROR: (ResourceNotFound) The Resource 'Microsoft.Web/sites/${name}' was not found.\n` };
      const settings = (option(args, "--setting-names") ?? "").split(/\s+/).filter(Boolean);
      const present = settings.filter((s) => s in app.settings);
      if (present.length) return { code: 2, stderr: `az (local runner): deleting ${present.join(", ")} from ${name} is not emulated: the runner runs apps with the settings of the JSON\n` };
      return { code: 0, stdout: output === "none" ? "" : "[]\n" };
    }
    return { code: 2, stderr: `az ${args.join(" ")}: not emulated by the local runner (it answers account get-access-token and functionapp config appsettings delete)\n` };
  };
}

/**
 * The deploy's own steps: `terraform_data` resources with `local-exec` provisioners, which
 * Terraform runs on the deploying machine once the resources they depend on exist, independent
 * ones at the same time (its parallelism). The runner runs them at deploy, after the apps are
 * loaded, each once the steps it depends on (`depends_on`, references) are done: the command with
 * its interpreter and environment, `az` answered as the deploying identity, other programs (curl)
 * from this machine reaching the runner's network. A failing command fails the deploy unless its
 * provisioner says `on_failure = continue`; destroy-time provisioners do not run.
 */
export async function runDeployCommands(host: EmulationHost, values: AzureValues, entra: Entra, apps: FunctionApps, only?: (address: string, raw: any) => boolean): Promise<string[]> {
  const az = azStandIn(values, entra, apps);
  const steps = new Map(values.resources("terraform_data").filter(([a, r]) => !only || only(a, r)));
  const done = new Map<string, Promise<void>>();
  const run = (address: string): Promise<void> => {
    let p = done.get(address);
    if (p) return p;
    const raw = steps.get(address);
    const deps = [...new Set([...JSON.stringify({ ...raw, provisioner: undefined }).matchAll(/terraform_data\.([A-Za-z0-9_-]+)/g)].map((m) => m[1]))].filter((d) => d !== address && steps.has(d));
    p = Promise.all(deps.map(run)).then(async () => {
      for (const provisioner of raw.provisioner ?? []) {
        const exec = provisioner["local-exec"];
        if (!exec || exec.when === "destroy") continue;
        const started = Date.now();
        const outcome = await host.functions.localExec({
          name: `deploy ${componentKeyOf(address) ?? address}`,
          command: String(values.resolve(exec.command)),
          interpreter: exec.interpreter ? values.resolve<string[]>(exec.interpreter) : undefined,
          env: Object.fromEntries(Object.entries<unknown>(values.resolve(exec.environment ?? {})).map(([k, v]) => [k, String(v)])),
          tools: { az },
          timeoutSeconds: 900,
        });
        if (outcome.code !== 0 && exec.on_failure !== "continue") {
          throw new Error(`terraform_data.${address}: local-exec failed with exit code ${outcome.code}, so the apply fails:\n${outcome.output.trim().slice(-2000)}`);
        }
        host.log("runner", `[deploy] terraform_data ${componentKeyOf(address) ?? address}: local-exec ${outcome.code === 0 ? "done" : `failed (${outcome.code}, on_failure = continue)`} in ${Date.now() - started} ms`);
      }
    });
    done.set(address, p);
    return p;
  };
  const all = [...steps.keys()].map((a) => run(a));
  const results = await Promise.allSettled(all);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return [...steps.keys()].map((a) => `terraform_data.${a}`);
}
