import { envByName, synthPlatform } from "../helpers/synth";

/** Each environment synthesized once per test file. */
export const dev = synthPlatform(envByName("dev")).json;
export const prod = synthPlatform(envByName("prod")).json;
/** Staging keeps RDS Proxy (dev connects directly, see environments/dev.ts). */
export const staging = synthPlatform(envByName("staging")).json;
