import { EnvironmentConfig } from "@polycloud/core";
import { AWS_CA_LAYER_ARN, AWS_DATA_READS, AWS_REFRESH } from "./refresh/aws";
import { AZURE_DATA_ACTIONS, AZURE_REFRESH } from "./refresh/azure";
import { GCP_PROVIDER_LEVEL, GCP_REFRESH, GCP_SCOPED } from "./refresh/gcp";
import { RefreshTable, StackJson, refreshNeeds } from "./refresh/types";

/**
 * The read-only plan identities, built from what the stacks emit: each holds exactly the
 * permissions refreshing every emitted resource and data source type needs (scripts/gitops/refresh),
 * reads (never writes or locks) its environment's state, and nothing that reads application data,
 * except where a refresh cannot do without, each named and scoped in the tables' notes.
 *
 * A type the tables do not know stops the setup with its name (add its refresh permissions first).
 */
export class UnknownTypesError extends Error {
  constructor(readonly cloud: string, readonly types: readonly string[]) {
    super(`${cloud}: the stacks emit ${types.map((t) => `'${t}'`).join(", ")}, whose refresh permissions scripts/gitops/refresh/${cloud}.ts does not list; add them (the provider's Read at the pinned version) so the plan identity can refresh them`);
    this.name = "UnknownTypesError";
  }
}

function needs(cloud: string, table: RefreshTable, stacks: readonly StackJson[], providerLevel: readonly string[] = []) {
  const n = refreshNeeds(table, stacks, providerLevel);
  if (n.unknown.length) throw new UnknownTypesError(cloud, n.unknown);
  return n;
}

/** `${type.name.attr}` → the named resource's literal attribute, if the reference is that simple. */
function resolveRef(stacks: readonly StackJson[], value: unknown, attr = "name"): string | undefined {
  const m = /^\$\{([a-z0-9_]+)\.([^.}]+)\.([a-z_]+)\}$/.exec(String(value ?? ""));
  if (!m) return typeof value === "string" && !value.includes("${") ? value : undefined;
  for (const s of stacks) {
    const target = s.resource?.[m[1]]?.[m[2]];
    if (target && typeof target[attr] === "string") return target[attr] as string;
  }
  return undefined;
}

const uniqueSorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

// ---------------------------------------------------------------- AWS

export interface AwsPlanPolicy {
  /** The customer-managed policy `polycloud-plan-refresh` attached to the plan role. */
  readonly document: { Version: string; Statement: Record<string, unknown>[] };
  readonly actions: readonly string[];
}

/** The plan role's one policy: the refresh actions, the state objects read, and an explicit deny of data-plane reads. */
export function awsPlanPolicy(env: EnvironmentConfig, stacks: readonly StackJson[]): AwsPlanPolicy {
  const bucket = stateBucket(env, "aws");
  const actions = [...needs("aws", AWS_REFRESH, stacks).permissions.keys()];
  const statePrefix = `arn:aws:s3:::${bucket}/${env.name}/*`;
  const caLayers = stacks.some((s) => Object.keys(s.resource?.aws_lambda_layer_version ?? {}).length > 0);
  return {
    actions,
    document: {
      Version: "2012-10-17",
      Statement: [
        { Sid: "RefreshEmittedTypes", Effect: "Allow", Action: actions, Resource: "*" },
        { Sid: "ListStateBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: `arn:aws:s3:::${bucket}` },
        { Sid: "ReadState", Effect: "Allow", Action: ["s3:GetObject"], Resource: statePrefix },
        // An explicit Deny wins over every Allow, also one attached later (ReadOnlyAccess allows all of these).
        { Sid: "NoDataPlaneReads", Effect: "Deny", Action: AWS_DATA_READS.filter((a) => !a.startsWith("s3:") && a !== "lambda:GetLayerVersion"), Resource: "*" },
        // Layers: the RDS CA bundles (public certificates) only, which a refresh of their layer version reads.
        { Sid: "NoLayerReadsButCaBundles", Effect: "Deny", Action: ["lambda:GetLayerVersion"], NotResource: AWS_CA_LAYER_ARN },
        ...(caLayers ? [{ Sid: "ReadCaBundleLayers", Effect: "Allow", Action: ["lambda:GetLayerVersion"], Resource: AWS_CA_LAYER_ARN }] : []),
        { Sid: "NoObjectReadsButState", Effect: "Deny", Action: AWS_DATA_READS.filter((a) => a.startsWith("s3:")), NotResource: statePrefix },
        { Sid: "NoStateWrites", Effect: "Deny", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: `arn:aws:s3:::${bucket}/*` },
      ],
    },
  };
}

// ---------------------------------------------------------------- GCP

export interface GcpBinding {
  readonly role: string;
  /** `project <id>`, `bucket <name>` or `billing account <id>` */
  readonly scope: string;
  readonly condition?: { readonly title: string; readonly expression: string };
}

export interface GcpPlanGrants {
  /** The project-level custom role `polycloudPlanRefresh`. */
  readonly role: { readonly id: string; readonly title: string; readonly permissions: readonly string[] };
  /** The custom role `polycloudPlanObjectMetadata` (storage.objects.get…), bound with a condition on the source buckets. */
  readonly objectRole?: { readonly id: string; readonly permissions: readonly string[] };
  readonly bindings: readonly GcpBinding[];
}

export const GCP_PLAN_ROLE = "polycloudPlanRefresh";
export const GCP_OBJECT_ROLE = "polycloudPlanObjectMetadata";

export function gcpPlanGrants(env: EnvironmentConfig, stacks: readonly StackJson[]): GcpPlanGrants {
  const gcp = env.clouds.gcp!;
  const all = [...needs("gcp", GCP_REFRESH, stacks, GCP_PROVIDER_LEVEL).permissions.keys()];
  const projectWide = all.filter((p) => !GCP_SCOPED[p]);
  const project = `projects/${gcp.projectId}`;
  const bindings: GcpBinding[] = [
    { role: `${project}/roles/${GCP_PLAN_ROLE}`, scope: `project ${gcp.projectId}` },
    { role: "roles/storage.objectViewer", scope: `bucket ${stateBucket(env, "gcp")}` },
  ];
  let objectRole: GcpPlanGrants["objectRole"];
  const objectPermissions = all.filter((p) => GCP_SCOPED[p] === "source-buckets");
  if (objectPermissions.length) {
    const buckets = uniqueSorted(stacks.flatMap((s) => Object.values(s.resource?.google_storage_bucket_object ?? {}).map((o) => resolveRef(stacks, o.bucket) ?? "")));
    if (buckets.some((b) => !b)) throw new Error("gcp: a google_storage_bucket_object's bucket is not a literal name or a reference to a google_storage_bucket's name; the object-read condition cannot name it");
    objectRole = { id: GCP_OBJECT_ROLE, permissions: objectPermissions };
    bindings.push({
      role: `${project}/roles/${GCP_OBJECT_ROLE}`, scope: `project ${gcp.projectId}`,
      condition: { title: "function source objects only", expression: buckets.map((b) => `resource.name.startsWith("projects/_/buckets/${b}/objects/")`).join(" || ") },
    });
  }
  if (all.includes("billing.budgets.get")) bindings.push({ role: "roles/billing.viewer", scope: `billing account ${gcp.billingAccount}` });
  return { role: { id: GCP_PLAN_ROLE, title: `polycloud plan (${env.name}): refresh only`, permissions: projectWide }, ...(objectRole ? { objectRole } : {}), bindings };
}

// ---------------------------------------------------------------- Azure

export interface AzureRoleAssignment {
  readonly role: string;
  readonly scope: string;
  /** ABAC condition (version 2.0). */
  readonly condition?: string;
}

export interface AzurePlanGrants {
  readonly roleDefinition: { readonly Name: string; readonly Description: string; readonly Actions: readonly string[]; readonly NotActions: readonly string[]; readonly DataActions: readonly string[]; readonly NotDataActions: readonly string[]; readonly AssignableScopes: readonly string[] };
  readonly assignments: readonly AzureRoleAssignment[];
}

export function azurePlanRoleName(env: EnvironmentConfig): string {
  return `polycloud plan refresh (${env.name})`;
}

export function azurePlanGrants(env: EnvironmentConfig, stacks: readonly StackJson[]): AzurePlanGrants {
  const az = env.clouds.azure!;
  const all = [...needs("azure", AZURE_REFRESH, stacks).permissions.keys()];
  const dataActions = all.filter((p) => AZURE_DATA_ACTIONS.has(p));
  const subscription = `/subscriptions/${az.subscriptionId}`;
  const containers = uniqueSorted(stacks.flatMap((s) => Object.values(s.resource?.azurerm_storage_blob ?? {}).map((b) => resolveRef(stacks, b.storage_container_name) ?? "")));
  if (dataActions.length && containers.some((c) => !c)) throw new Error("azure: an azurerm_storage_blob's container is not a literal name or a reference to an azurerm_storage_container's name; the blob-read condition cannot name it");
  const name = azurePlanRoleName(env);
  const b = env.clouds.azure!.backend;
  const condition = dataActions.length
    ? `((!(ActionMatches{'${dataActions[0]}'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringIn {${containers.map((c) => `'${c}'`).join(", ")}}))`
    : undefined;
  return {
    roleDefinition: {
      Name: name,
      Description: "Refreshes what the polycloud stacks emit (terraform plan): reads, and the list actions azurerm's reads make. No writes.",
      Actions: all.filter((p) => !AZURE_DATA_ACTIONS.has(p)),
      NotActions: [],
      DataActions: dataActions,
      NotDataActions: [],
      AssignableScopes: [subscription],
    },
    assignments: [
      { role: name, scope: subscription, ...(condition ? { condition } : {}) },
      {
        role: "Storage Blob Data Reader",
        scope: b ? `${subscription}/resourceGroups/${b.resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${b.storageAccountName}/blobServices/default/containers/${b.containerName}` : "(state container)",
      },
    ],
  };
}

// ---------------------------------------------------------------- state

/** The state bucket or container of an environment's cloud; refuses an indirection the identities could not hold read-only. */
export function stateBucket(env: EnvironmentConfig, cloud: "aws" | "gcp"): string {
  if (cloud === "aws") {
    const b = env.clouds.aws?.backend;
    if (!b) throw new Error(`environments/${env.name}.ts: clouds.aws.backend is not set; the pipelines need remote state`);
    if (b.roleArn) throw new Error(`environments/${env.name}.ts: clouds.aws.backend.roleArn has value '${b.roleArn}'; allowed: unset. The plan identity would have to assume a role that can write state (then it is not read-only); gitops:setup grants the plan role read and the deploy role write on the bucket directly`);
    return b.bucket;
  }
  const b = env.clouds.gcp?.backend;
  if (!b) throw new Error(`environments/${env.name}.ts: clouds.gcp.backend is not set; the pipelines need remote state`);
  if (b.impersonateServiceAccount) throw new Error(`environments/${env.name}.ts: clouds.gcp.backend.impersonateServiceAccount has value '${b.impersonateServiceAccount}'; allowed: unset. The plan service account would have to impersonate one that can write state (then it is not read-only); gitops:setup grants the plan and deploy service accounts the bucket directly`);
  return b.bucket;
}
