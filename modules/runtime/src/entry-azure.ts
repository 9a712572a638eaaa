// What a function bundled for azure imports as "@polycloud/runtime": the azure implementation is
// bound statically, so the other clouds' SDKs are never reached and never bundled.
import { useCloudImplementation } from "./cloud";
import implementation from "./cloud-azure";

useCloudImplementation(implementation);
export * from "./api";
