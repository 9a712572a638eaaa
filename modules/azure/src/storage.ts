import { Construct } from "constructs";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";

export interface SecureStorageAccountProps {
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  /** Prod: zone-redundant and 30 days of soft delete (else LRS and 7 days). */
  readonly prod: boolean;
}

/**
 * A storage account reachable with Entra ID only: TLS 1.2, HTTPS only, no shared keys (so no
 * connection strings), no public blobs, soft delete for blobs and containers.
 */
export function secureStorageAccount(scope: Construct, id: string, props: SecureStorageAccountProps): StorageAccount {
  const { resourceGroup: rg, prod } = props;
  return new StorageAccount(scope, id, {
    name: props.name,
    resourceGroupName: rg.name,
    location: rg.location,
    accountTier: "Standard",
    accountReplicationType: prod ? "ZRS" : "LRS",
    minTlsVersion: "TLS1_2",
    httpsTrafficOnlyEnabled: true,
    allowNestedItemsToBePublic: false,
    // Entra ID only: functions, Event Grid and Terraform authenticate with identities.
    sharedAccessKeyEnabled: false,
    defaultToOauthAuthentication: true,
    blobProperties: { deleteRetentionPolicy: { days: prod ? 30 : 7 }, containerDeleteRetentionPolicy: { days: prod ? 30 : 7 } },
  });
}
