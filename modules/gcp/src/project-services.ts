import { Construct } from "constructs";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";

/**
 * Enables each Google API once per stack. `disable_on_destroy = false`: tearing down one stack
 * must never switch off an API other stacks in the project still use.
 */
export class GcpProjectServices extends Construct {
  private readonly enabled = new Map<string, ProjectService>();

  constructor(scope: Construct, id: string, private readonly projectId: string) {
    super(scope, id);
  }

  enable(...apis: string[]): ProjectService[] {
    return apis.map((api) => {
      let svc = this.enabled.get(api);
      if (!svc) {
        svc = new ProjectService(this, api.replace(/\.googleapis\.com$/, ""), {
          project: this.projectId,
          service: api,
          disableOnDestroy: false,
          disableDependentServices: false,
        });
        this.enabled.set(api, svc);
      }
      return svc;
    });
  }

  get apis(): string[] {
    return [...this.enabled.keys()].sort();
  }
}
