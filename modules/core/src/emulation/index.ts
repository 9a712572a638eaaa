export * from "./host";
export * from "./cloud";
export * from "./expressions";
export * from "./helpers";
export * from "./archive";
