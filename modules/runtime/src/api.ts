export * from "./types";
export { http, queue, events, PlatformHandler } from "./handlers";
export { queues, buses, QueueClient, BusClient, PublishedEvent } from "./clients";
export { databases, idempotent, closeDatabases, createPool, tlsFor, serverIdentityCheck, IDEMPOTENCY_RETENTION_DAYS, ConnectOptions, DatabaseClient, IdempotentOptions } from "./database";
export { useCloudImplementation, CloudImplementation, OutgoingEvent } from "./cloud";
export { busAddress, currentCloud, currentFunction, databaseEndpoint, envVarPart, queueAddress, DatabaseEndpoint } from "./env";
export * as adapters from "./adapters";
export { checkRequest, edgeConfig, EdgeConfig, EdgeOutcome, EdgeRoute } from "./edge";
export { JwksCache, JwtSettings, TokenError, verifyJwt } from "./jwt";
