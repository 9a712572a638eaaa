// The offline-terraform helpers live in @polycloud/cli (src/terraform/offline.ts), where `polycloud plan offline`
// (local parity with the pull-request plans) uses them too.
export * from "../../modules/cli/src/terraform/offline";
