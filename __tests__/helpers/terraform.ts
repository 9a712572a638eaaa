// The offline-terraform helpers live in scripts/terraform/offline.ts, where `npm run plan:offline`
// (local parity with the pull-request plans) uses them too.
export * from "../../scripts/terraform/offline";
