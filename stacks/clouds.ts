import { CapabilityMap, Cloud } from "@polycloud/core";
import { AWS_CAPABILITIES } from "@polycloud/aws";
import { GCP_CAPABILITIES } from "@polycloud/gcp";

/** Every cloud implementation with its conformance table column. GCP and Azure join here. */
export const CLOUD_CAPABILITIES: Partial<Record<Cloud, CapabilityMap>> = {
  aws: AWS_CAPABILITIES,
  gcp: GCP_CAPABILITIES,
};
