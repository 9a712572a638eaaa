/** Types of scripts/build-stamp.mjs (plain JavaScript: it decides whether TypeScript must be compiled). */
export declare const STAMP: string;
export interface BuildProject {
  readonly configs: readonly string[];
  readonly sources: readonly string[];
  readonly rootDir: string;
  readonly outDir: string;
  readonly buildInfo: string;
}
export declare function projects(tsconfigFile: string): BuildProject[] | undefined;
export declare function sourcesHash(root: string, list?: BuildProject[]): string | undefined;
export declare function staleBuildReason(root: string): string | undefined;
export declare function buildIfStale(root: string, tsc?: readonly string[]): number;
