// The one esbuild configuration of the self-contained bundle, shared by the build and the benchmarks,
// so that what `pnpm bench` and the size check measure is what `pnpm build` ships.
import { fileURLToPath } from 'node:url';
import { minifyHTMLLiteralsPlugin } from 'esbuild-plugin-minify-html-literals';

/** The packages the element builds on but does not own: kept out when measuring "the element alone". */
export const LIT = Object.freeze(['lit', 'lit/*', '@lit/*', 'lit-html', 'lit-html/*', 'lit-element', 'lit-element/*']);

/** The bundle's entry, as esbuild names it (`dist/idle-session-warning.bundle.js`). */
export const ENTRY = 'idle-session-warning.bundle';

/**
 * esbuild options for src/define.ts with lit and @idle-session/core: minified ESM for browsers, written
 * to `dist/idle-session-warning.bundle.js`. What only some pages use (languages other than English,
 * drafts, frames) is split into `dist/chunks/`, fetched by the bundle when a page needs it; the
 * entry imports no chunk statically.
 */
export const bundleOptions = Object.freeze({
  absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
  entryPoints: { [ENTRY]: 'src/define.ts' },
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  platform: 'browser',
  logLevel: 'warning',
  // The element's html`` and css`` templates, minified (whitespace, CSS) as esbuild does not look inside template literals.
  plugins: [minifyHTMLLiteralsPlugin({ filter: /[\\/]src[\\/].*\.ts$/ })],
});

/** esbuild options for the one-line `check-tabs` script of pages without the element: self-contained, no chunks. */
export const checkTabsOptions = Object.freeze({
  ...bundleOptions,
  entryPoints: { 'idle-session-check-tabs': 'src/check-tabs.ts' },
  splitting: false,
  chunkNames: undefined,
});
