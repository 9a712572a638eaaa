// What a function bundled for aws imports as "@polycloud/runtime": the aws implementation is
// bound statically, so the other clouds' SDKs are never reached and never bundled.
import { useCloudImplementation } from "./cloud";
import implementation from "./cloud-aws";

useCloudImplementation(implementation);
export * from "./api";
