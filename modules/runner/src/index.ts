export * from "./runner";
export * from "./stack";
export * from "./logs";
export * from "./clock";
export { LocalIssuer, TokenRequest } from "./identity/issuer";
