import { envByName, synthPlatform } from "../helpers/synth";

/** Each environment synthesized once per test file. */
export const dev = synthPlatform(envByName("dev")).json;
export const prod = synthPlatform(envByName("prod")).json;
