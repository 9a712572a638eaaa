export * from "./prices";
export * from "./quantities";
export * from "./estimate";
export * from "./report";
