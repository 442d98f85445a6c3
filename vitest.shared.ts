// Shared vitest settings: workspace packages resolve to their TypeScript source, so a test run needs no build.
import { fileURLToPath } from 'node:url';

const source = (name: string, entry = 'index') => fileURLToPath(new URL(`./packages/${name}/src/${entry}.ts`, import.meta.url));

// Subpath entries first: the first alias that matches wins.
export const workspaceAlias = {
  '@idle-session/redis/express': source('redis', 'express'),
  '@idle-session/redis/koa': source('redis', 'koa'),
  '@idle-session/redis': source('redis'),
  '@idle-session/core/for-apps': source('core', 'for-apps'),
  '@idle-session/core': source('core'),
  '@idle-session/express': source('express'),
  '@idle-session/koa': source('koa'),
  '@idle-session/fastify': source('fastify'),
  '@idle-session/adapter-contract': source('adapter-contract'),
};
