import { envByName, synthPlatform } from "../helpers/synth";
import { onServer } from "../helpers/shared-tier";
import { referenceService } from "../../stacks/reference-service";

/**
 * Each environment synthesized once per test file. The reference service's database on a server
 * of its own (`server: "own"`): these cases check AwsDatabaseProxy's server in detail. The shared
 * server (the default) is checked by __tests__/stacks/services-rename.test.ts,
 * __tests__/migrations/shared-server.test.ts and the journeys.
 */
const own = onServer("own", referenceService);
export const dev = synthPlatform(envByName("dev"), own(envByName("dev"))).json;
export const prod = synthPlatform(envByName("prod"), own(envByName("prod"))).json;
/** Staging keeps RDS Proxy (dev connects directly, see environments/dev.ts). */
export const staging = synthPlatform(envByName("staging"), own(envByName("staging"))).json;
