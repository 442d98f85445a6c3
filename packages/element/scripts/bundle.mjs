// Bundles src/define.ts with lit and @idle-session/core into one self-contained, minified ES module
// that a page can load with <script type="module" src=".../idle-session-warning.bundle.js">.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ['src/define.ts'],
  outfile: 'dist/idle-session-warning.bundle.js',
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  platform: 'browser',
  sourcemap: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
console.log('wrote dist/idle-session-warning.bundle.js');
