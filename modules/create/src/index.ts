export * from "./npmrc";
export * from "./pins";
export * from "./template";
export * from "./create";
export { main } from "./main";
