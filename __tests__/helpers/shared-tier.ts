import { DatabaseServer, EnvironmentConfig, ServiceSpec } from "@polycloud/core";

/** The service with every database that does not choose on `server` (the shared tier is opt-in: `server: "shared"`). */
export function onServer(server: DatabaseServer, make: (env: EnvironmentConfig) => ServiceSpec): (env: EnvironmentConfig) => ServiceSpec {
  return (env) => {
    const s = make(env);
    return s.databases ? { ...s, databases: Object.fromEntries(Object.entries(s.databases).map(([id, d]) => [id, { ...d, server: d.server ?? server }])) } : s;
  };
}
