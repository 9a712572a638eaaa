import { CapabilityMap } from "@polycloud/core";
export const AZURE_CAPABILITIES = {} as CapabilityMap;
