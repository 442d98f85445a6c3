// Bundles src/define.ts with lit and @idle-session/core into one self-contained, minified ES module
// that a page can load with <script type="module" src=".../idle-session-warning.bundle.js">, plus the
// chunks it loads on demand (dist/chunks/) and the one-line check-tabs script.
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';
import { bundleOptions, checkTabsOptions } from './bundle-options.mjs';

await rm(new URL('../dist/chunks', import.meta.url), { recursive: true, force: true });
await build({ ...bundleOptions, sourcemap: true, legalComments: 'eof' });
await build({ ...checkTabsOptions, sourcemap: true, legalComments: 'eof' });
console.log('wrote dist/idle-session-warning.bundle.js, dist/chunks/, dist/idle-session-check-tabs.js');
