// Shared vitest settings: workspace packages resolve to their TypeScript source, so a test run needs no build.
import { fileURLToPath } from 'node:url';

const source = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

export const workspaceAlias = {
  '@idle-session/core': source('core'),
  '@idle-session/express': source('express'),
  '@idle-session/koa': source('koa'),
  '@idle-session/adapter-contract': source('adapter-contract'),
};
