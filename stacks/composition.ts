import { environments } from "../environments";
import { BuildOptions } from "./plan";
import { referenceService } from "./reference-service";

/**
 * What `main.ts` deploys: the environments and the services each renders. Add your own services
 * here (`services: (env) => [referenceService(env), cartService(env)]`). The policy test checks
 * this composition, so a suppression your services need counts as used.
 */
export const composition: Omit<BuildOptions, "filter"> = {
  environments,
  service: referenceService,
};
