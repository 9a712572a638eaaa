import { CapabilityMap, Cloud } from "@polycloud/core";
import { AWS_CAPABILITIES } from "@polycloud/aws";
import { GCP_CAPABILITIES } from "@polycloud/gcp";
import { AZURE_CAPABILITIES } from "@polycloud/azure";

/** Every cloud implementation with its conformance table column.  */
export const CLOUD_CAPABILITIES: Partial<Record<Cloud, CapabilityMap>> = {
  aws: AWS_CAPABILITIES,
  gcp: GCP_CAPABILITIES,
  azure: AZURE_CAPABILITIES,
};
