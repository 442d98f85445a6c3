import type { HeaderReader } from './guard-route.js';

/**
 * Whether the browser marks this request as speculative: fetched ahead of time because the user might
 * go there (prefetch, prerender, a link preview), not because the user did anything. Such requests are
 * never activity: a page the user only hovered or typed half the address of must not extend a session.
 *
 * Every form browsers send:
 * - `Sec-Purpose: prefetch` or `prefetch;prerender` (Chromium's speculation rules, `<link rel=prefetch>`);
 * - `Purpose: prefetch` (older Chromium and Safari);
 * - `X-Purpose: preview` or `prefetch` (Safari's and older browsers' previews);
 * - `X-Moz: prefetch` (Firefox).
 * Letter case and surrounding spaces do not matter.
 */
export function isSpeculative(header: HeaderReader): boolean {
  const secPurpose = header('sec-purpose')?.toLowerCase();
  if (secPurpose && /(^|[\s,;])(prefetch|prerender)\b/.test(secPurpose)) return true;
  for (const name of ['purpose', 'x-purpose', 'x-moz']) {
    const value = header(name)?.trim().toLowerCase();
    if (value === 'prefetch' || value === 'preview' || value === 'prerender') return true;
  }
  return false;
}
