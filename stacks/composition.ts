import { environments } from "../environments";
import { Composition } from "@polycloud/stacks";
import { referenceService } from "./reference-service";

/**
 * What `main.ts` deploys: the environments and the services each renders. Add your own services
 * here (`services: (env) => [referenceService(env), cartService(env)]`). The policy test checks
 * this composition, so a suppression your services need counts as used.
 */
export const composition: Composition = {
  environments,
  service: referenceService,
};
