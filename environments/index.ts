import { EnvironmentConfig } from "@polycloud/core";
import { dev } from "./dev";
import { prod } from "./prod";
import { staging } from "./staging";

export { dev, staging, prod };
export const environments: readonly EnvironmentConfig[] = [dev, staging, prod];
