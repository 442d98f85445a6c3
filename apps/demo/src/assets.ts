import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROUTES } from './pages.js';

const ELEMENT_BUNDLE = fileURLToPath(import.meta.resolve('@idle-session/element/bundle'));
const ELEMENT_CHUNKS = join(dirname(ELEMENT_BUNDLE), 'chunks');

/**
 * Files the sample app serves, by URL path: the stylesheet, the element's bundle with the chunks it
 * loads on demand (next to it, in `chunks/`), the clock script, and the one-line check-tabs script of the login page.
 */
export const ASSET_FILES: Readonly<Record<string, string>> = Object.freeze({
  [ROUTES.styles]: fileURLToPath(new URL('../public/demo.css', import.meta.url)),
  [ROUTES.clockScript]: fileURLToPath(new URL('../public/clock.js', import.meta.url)),
  [ROUTES.element]: ELEMENT_BUNDLE,
  [ROUTES.checkTabs]: fileURLToPath(import.meta.resolve('@idle-session/element/check-tabs-bundle')),
  ...Object.fromEntries(
    readdirSync(ELEMENT_CHUNKS)
      .filter((name) => name.endsWith('.js'))
      .map((name) => [`${dirname(ROUTES.element)}/chunks/${name}`, join(ELEMENT_CHUNKS, name)]),
  ),
});

const TYPES: Readonly<Record<string, string>> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** Every asset, read once at start-up (they are small and never change while the app runs). */
const ASSETS: ReadonlyMap<string, Asset> = new Map(
  Object.entries(ASSET_FILES).map(([path, file]) => {
    const body = readFileSync(file);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    return [path, { body, type: TYPES[extname(file)] ?? 'application/octet-stream', etag }];
  }),
);

/** What to answer to a request for an asset: status, headers, and the body (`null` for `304`; the framework leaves it out for `HEAD`). */
export interface AssetAnswer {
  readonly status: 200 | 304;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
}

function matches(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch.split(',').some((tag) => {
    const value = tag.trim();
    return value === '*' || value.replace(/^W\//, '') === etag;
  });
}

/**
 * The answer to a request for one of the sample app's assets, the same on every framework, or `null` when
 * the request is not one (then it goes on to the app, which answers 404 for an unknown path). Only `GET`
 * and `HEAD` of the exact path: `/ASSETS/demo.css` or `/assets/demo.css/` are not assets, on Express as on
 * Koa and Fastify (Express's router would match them, a file lookup would not). Revalidated by ETag at every use
 * (`Cache-Control: no-cache`), so a new build is picked up at once.
 *
 * Mounted before the session middleware on every framework: assets never load or save a session, and never
 * count as activity (see `isDemoActivity`).
 */
export function answerAsset(method: string, path: string, ifNoneMatch: string | undefined): AssetAnswer | null {
  if (method !== 'GET' && method !== 'HEAD') return null;
  const asset = ASSETS.get(path);
  if (!asset) return null;
  const cache = { ETag: asset.etag, 'Cache-Control': 'no-cache' };
  if (ifNoneMatch && matches(ifNoneMatch, asset.etag)) return { status: 304, headers: cache, body: null };
  return {
    status: 200,
    headers: { ...cache, 'Content-Type': asset.type, 'Content-Length': String(asset.body.length) },
    body: asset.body,
  };
}

/** Whether a path is under the assets folder, in any letter case (so never activity, even when it is not a file). */
export function isAssetPath(path: string): boolean {
  return path.toLowerCase().startsWith(`${dirname(ROUTES.styles)}/`);
}
