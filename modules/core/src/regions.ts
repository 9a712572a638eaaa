/**
 * Region names each cloud accepts, so a well-formed but unknown region (`eu-wset-1`) fails at
 * synth time instead of at apply. Lists go stale when a cloud opens a region: add it here (with
 * the date) rather than bypassing the check.
 */
export interface RegionList {
  readonly source: string;
  /** When the list was last compared with the source. */
  readonly asOf: string;
  readonly names: readonly string[];
}

export const REGIONS: { readonly aws: RegionList; readonly gcp: RegionList; readonly azure: RegionList } = {
  aws: {
    source: "https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html (commercial, GovCloud and China partitions)",
    asOf: "2026-11-28",
    names: [
      "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
      "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
      "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
      "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1",
      "us-west-2", "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
    ],
  },
  gcp: {
    source: "https://cloud.google.com/compute/docs/regions-zones (gcloud compute regions list)",
    asOf: "2026-11-28",
    names: [
      "africa-south1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3", "asia-south1", "asia-south2",
      "asia-southeast1", "asia-southeast2", "australia-southeast1", "australia-southeast2", "europe-central2", "europe-north1",
      "europe-north2", "europe-southwest1", "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-west8",
      "europe-west9", "europe-west10", "europe-west12", "me-central1", "me-central2", "me-west1", "northamerica-northeast1",
      "northamerica-northeast2", "northamerica-south1", "southamerica-east1", "southamerica-west1", "us-central1", "us-east1", "us-east4",
      "us-east5", "us-south1", "us-west1", "us-west2", "us-west3", "us-west4",
    ],
  },
  azure: {
    source: "https://learn.microsoft.com/en-us/azure/reliability/regions-list (az account list-locations, programmatic names)",
    asOf: "2026-11-28",
    names: [
      "australiacentral", "australiacentral2", "australiaeast", "australiasoutheast", "austriaeast", "belgiumcentral", "brazilsouth",
      "brazilsoutheast", "canadacentral", "canadaeast", "centralindia", "centralus", "chilecentral", "denmarkeast", "eastasia", "eastus",
      "eastus2", "francecentral", "francesouth", "germanynorth", "germanywestcentral", "indonesiacentral", "israelcentral", "italynorth",
      "japaneast", "japanwest", "jioindiacentral", "jioindiawest", "koreacentral", "koreasouth", "malaysiawest", "mexicocentral",
      "newzealandnorth", "northcentralus", "northeurope", "norwayeast", "norwaywest", "polandcentral", "qatarcentral", "southafricanorth",
      "southafricawest", "southcentralus", "southindia", "southeastasia", "spaincentral", "swedencentral", "switzerlandnorth",
      "switzerlandwest", "uaecentral", "uaenorth", "uksouth", "ukwest", "westcentralus", "westeurope", "westindia", "westus", "westus2", "westus3",
    ],
  },
};

/** The `allowed` text of a region problem: a nearby name when there is one, and where the list comes from. */
export function unknownRegion(cloud: keyof typeof REGIONS, value: string): string | undefined {
  const list = REGIONS[cloud];
  if (list.names.includes(value)) return undefined;
  const near = list.names.filter((n) => editDistance(n, value) <= 2);
  return `a ${cloud} region${near.length ? ` (did you mean ${near.join(" or ")}?)` : ""}; known regions from ${list.source} as of ${list.asOf}`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
