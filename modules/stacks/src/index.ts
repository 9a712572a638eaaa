export * from "./app";
export * from "./platform-stack";
export * from "./service-tag";
export * from "./token-traces";
export * from "./local-state";
export * from "./cloud-packages";
export * from "./run-app";
