// The one esbuild configuration of the self-contained bundle, shared by the build and the benchmarks,
// so that what `pnpm bench` measures is what `pnpm build` ships.
import { fileURLToPath } from 'node:url';

/** esbuild options for src/define.ts with lit and @idle-session/core, minified ESM for browsers. */
export const bundleOptions = Object.freeze({
  absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
  entryPoints: ['src/define.ts'],
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  platform: 'browser',
  logLevel: 'warning',
});
