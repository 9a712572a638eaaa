import { Construct } from "constructs";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";

/**
 * APIs every other call needs. With `user_project_override` + `billing_project` the target project
 * is the quota project of every request, including `projects.get` (Resource Manager) and the
 * enabling of other APIs (Service Usage), so these come first and every other API waits for them.
 * Service Usage and Resource Manager must already be on before the very first plan (see the README);
 * declaring them here keeps them on and orders the rest; IAM is enabled by the stack.
 */
export const BOOTSTRAP_APIS = ["serviceusage.googleapis.com", "cloudresourcemanager.googleapis.com", "iam.googleapis.com"] as const;

/**
 * Enables each Google API once per stack. `disable_on_destroy = false`: tearing down one stack
 * must never switch off an API other stacks in the project still use.
 */
export class GcpProjectServices extends Construct {
  private readonly enabled = new Map<string, ProjectService>();
  private readonly bootstrap: ProjectService[] = [];

  constructor(scope: Construct, id: string, private readonly projectId: string) {
    super(scope, id);
    // serviceusage first, then Resource Manager and IAM, then everything else.
    const [serviceUsage] = this.create(BOOTSTRAP_APIS[0], []);
    for (const api of BOOTSTRAP_APIS.slice(1)) this.create(api, [serviceUsage]);
    this.bootstrap.push(...BOOTSTRAP_APIS.map((api) => this.enabled.get(api)!));
  }

  enable(...apis: string[]): ProjectService[] {
    return apis.map((api) => this.enabled.get(api) ?? this.create(api, this.bootstrap)[0]);
  }

  get apis(): string[] {
    return [...this.enabled.keys()].sort();
  }

  private create(api: string, after: ProjectService[]): ProjectService[] {
    const svc = new ProjectService(this, api.replace(/\.googleapis\.com$/, ""), {
      project: this.projectId,
      service: api,
      disableOnDestroy: false,
      disableDependentServices: false,
      dependsOn: after.length ? [...after] : undefined,
    });
    this.enabled.set(api, svc);
    return [svc];
  }
}
