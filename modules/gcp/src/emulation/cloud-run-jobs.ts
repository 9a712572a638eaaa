import { EmulationHost, componentKeyOf, nestedBlock } from "@polycloud/core";
import { GcpIdentity } from "./identity";
import { GcpValues } from "./values";

/** Images the runner can stand in for with its own Node.js: the program is `node <args>`. */
const NODE_IMAGE = /^(gcr\.io\/distroless\/nodejs\d*(-debian\d+)?|(docker\.io\/)?(library\/)?node)(:[^@]*)?(@sha256:[0-9a-f]{64})?$/;

/**
 * Cloud Run jobs that run during apply: google-beta's `run_execution_token` starts an execution
 * when the job is created or its token changes, and the apply waits for it and fails when it
 * fails. The runner runs each such job once at deploy, after the functions are up: every task of
 * the template (task_count) runs its first container's program with the container's `env`, the
 * Cloud Run job variables, and a metadata server for the template's service account; with its
 * egress through the VPC (ALL_TRAFFIC) its calls to internal-only services count as internal.
 * Only Node.js images are runnable here (distroless nodejs, node): the program runs on the
 * runner's Node.js, not in the image.
 */
export async function runJobsAtDeploy(host: EmulationHost, values: GcpValues, identity: GcpIdentity, only?: (address: string) => boolean): Promise<string[]> {
  const ran: string[] = [];
  for (const [address, raw] of values.resources("google_cloud_run_v2_job")) {
    if (raw.run_execution_token === undefined || (only && !only(address))) continue;
    const job = values.resolve(raw);
    const name = String(job.name);
    const template = nestedBlock<any>(job.template) ?? {};
    const task = nestedBlock<any>(template.template) ?? {};
    const container = (task.containers ?? [])[0];
    if (!container) throw new Error(`google_cloud_run_v2_job.${address}: the template has no container`);
    const image = String(container.image ?? "");
    if (!NODE_IMAGE.test(image)) throw new Error(`google_cloud_run_v2_job.${address}: the runner runs jobs of Node.js images only (distroless nodejs, node), not ${image}`);
    if (container.command?.length && !/(^|\/)node(js)?$/.test(String(container.command[0]))) throw new Error(`google_cloud_run_v2_job.${address}: the container's command ${container.command[0]} is not node`);
    const email = String(task.service_account ?? `123456789012-compute@developer.gserviceaccount.com`);
    const metadata = await host.network.listen(identity.metadataHandler(email));
    const env: Record<string, string> = {};
    for (const e of container.env ?? []) if (e.value !== undefined) env[String(e.name)] = String(e.value);
    const execution = `${name}-${String(job.run_execution_token).slice(-5).toLowerCase()}`;
    const tasks = Number(template.task_count ?? 1);
    const timeout = Number(String(task.timeout ?? "600s").replace(/s$/, ""));
    const started = Date.now();
    for (let index = 0; index < tasks; index++) {
      // A failed task is retried up to max_retries times (default 3), then the execution fails.
      const attempts = Number(task.max_retries ?? 3) + 1;
      let outcome = { code: 1, output: "" };
      for (let attempt = 0; attempt < attempts && outcome.code !== 0; attempt++) {
        outcome = await host.functions.runNode({
          name: `${name} (job)`,
          args: [...(container.command ?? []).slice(1), ...(container.args ?? [])].map(String),
          env: { ...env, CLOUD_RUN_JOB: name, CLOUD_RUN_EXECUTION: execution, CLOUD_RUN_TASK_INDEX: String(index), CLOUD_RUN_TASK_ATTEMPT: String(attempt), CLOUD_RUN_TASK_COUNT: String(tasks) },
          network: { "169.254.169.254:80": `127.0.0.1:${metadata}`, "metadata.google.internal:80": `127.0.0.1:${metadata}` },
          timeoutSeconds: timeout,
        });
      }
      if (outcome.code !== 0) {
        throw new Error(`google_cloud_run_v2_job.${address}: execution ${execution} failed (task ${index} exited with ${outcome.code}), so the apply fails:\n${outcome.output.trim().slice(-2000)}`);
      }
    }
    host.log("runner", `[deploy] Cloud Run job ${componentKeyOf(address) ?? name} ran execution ${execution} in ${Date.now() - started} ms`);
    ran.push(`google_cloud_run_v2_job.${address}`);
  }
  return ran;
}

/**
 * What decides whether a job runs again: its own arguments and the triggers of the resource its
 * token comes from (a time_static re-created when they change gives a new token, a new execution).
 */
export function jobRevisions(values: GcpValues): Map<string, string> {
  return new Map(values.resources("google_cloud_run_v2_job").map(([address, raw]) => {
    const token = /\$\{([a-z0-9_]+)\.([^.}]+)\./.exec(String(raw.run_execution_token ?? ""));
    const source = token ? values.stack.json.resource?.[token[1]]?.[token[2]] : undefined;
    return [address, JSON.stringify([raw, source?.triggers ?? null])];
  }));
}
