// Bundles src/define.ts with lit and @idle-session/core into one self-contained, minified ES module
// that a page can load with <script type="module" src=".../idle-session-warning.bundle.js">.
import { build } from 'esbuild';
import { bundleOptions } from './bundle-options.mjs';

await build({ ...bundleOptions, outfile: 'dist/idle-session-warning.bundle.js', sourcemap: true, legalComments: 'eof' });
console.log('wrote dist/idle-session-warning.bundle.js');
