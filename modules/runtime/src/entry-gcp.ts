// What a function bundled for gcp imports as "@polycloud/runtime": the gcp implementation is
// bound statically, so the other clouds' SDKs are never reached and never bundled.
import { useCloudImplementation } from "./cloud";
import implementation from "./cloud-gcp";

useCloudImplementation(implementation);
export * from "./api";
