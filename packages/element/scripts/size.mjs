// Prints the minified and gzipped sizes of the self-contained bundle and of the element alone (lit external).
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { bundleOptions } from './bundle-options.mjs';

async function measure(label, external) {
  const result = await build({ ...bundleOptions, legalComments: 'none', external, write: false });
  const code = result.outputFiles[0].contents;
  const gzip = gzipSync(code, { level: 9 }).length;
  console.log(`${label.padEnd(40)} ${String(code.length).padStart(7)} B minified ${String(gzip).padStart(7)} B gzipped`);
}

await measure('bundle (element + lit + core)', []);
await measure('element alone (lit external)', ['lit', 'lit/*', '@lit/*', 'lit-html', 'lit-html/*', 'lit-element', 'lit-element/*']);
