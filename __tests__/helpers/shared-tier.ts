import { DatabaseServer, EnvironmentConfig, ServiceSpec } from "@polycloud/core";

/** The service with `server` on every database that does not choose (the default is `"shared"`; `"own"` is how a database deployed before the shared tier keeps its server). */
export function onServer(server: DatabaseServer, make: (env: EnvironmentConfig) => ServiceSpec): (env: EnvironmentConfig) => ServiceSpec {
  return (env) => {
    const s = make(env);
    return s.databases ? { ...s, databases: Object.fromEntries(Object.entries(s.databases).map(([id, d]) => [id, { ...d, server: d.server ?? server }])) } : s;
  };
}
