// Builds the two things the size budget is about into dist/size/, and prints their sizes:
//   full/  — the self-contained bundle as `pnpm build` ships it (element + lit + core);
//   alone/ — the same with lit external (the element's own code, with core).
// Each entry must import no chunk statically (a page loads the entry alone; chunks only on demand),
// so the entry file is what a page always pays. `size-limit` (see .size-limit.json) then checks both
// entries against the budget; `pnpm bench` prints this table.
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { bundleOptions, ENTRY, LIT } from './bundle-options.mjs';

const root = new URL('../dist/size/', import.meta.url);
await rm(root, { recursive: true, force: true });

for (const [variant, external] of [['full', []], ['alone', LIT]]) {
  const outdir = new URL(`${variant}/`, root).pathname;
  const result = await build({ ...bundleOptions, outdir, external, legalComments: 'none', metafile: true });
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    const isEntry = file.endsWith(`${ENTRY}.js`);
    const staticChunks = output.imports.filter((i) => i.kind === 'import-statement' && !i.external);
    if (isEntry && staticChunks.length > 0) {
      throw new Error(`${file} imports ${staticChunks.map((i) => i.path).join(', ')} statically: every page would load them. Keep chunks on-demand only.`);
    }
    const code = readFileSync(join(bundleOptions.absWorkingDir, file));
    const label = `${variant.padEnd(6)} ${isEntry ? 'entry' : 'chunk (on demand)'} ${file.replace(/^.*dist\/size\/[a-z]+\//, '')}`;
    console.log(`${label.padEnd(60)} ${String(code.length).padStart(7)} B minified ${String(gzipSync(code, { level: 9 }).length).padStart(7)} B gzipped`);
  }
}
