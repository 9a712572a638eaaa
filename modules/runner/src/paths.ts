import * as path from "node:path";

/** The host scripts that play each platform inside function processes (plain JS and Python, not compiled). */
export const HOSTS_DIR = path.resolve(__dirname, "..", "hosts");
