import type { HelmetOptions } from 'helmet';

/**
 * The security headers of every response of the sample app, given to helmet (Express), koa-helmet (Koa)
 * and @fastify/helmet (Fastify) alike, so every framework sends exactly the same headers. helmet's defaults, with:
 *
 * - a strict Content-Security-Policy: nothing but the app's own scripts, styles and requests; no inline
 *   script or style, no `<base>`, no plugins, no framing, forms only to this site. The pages need no inline
 *   script (the element, the clock and the check-tabs script are modules served from `/assets/`), and the
 *   element's styles are constructable stylesheets, which CSP does not restrict. No
 *   `upgrade-insecure-requests`: the app is served over plain HTTP on localhost too, and HTTPS is enforced
 *   by HSTS (helmet's default) where it is served over HTTPS;
 * - `Referrer-Policy: same-origin` (helmet's `no-referrer` would make browsers send `Origin: null` with
 *   the page's own form posts and `fetch()` POSTs, so that a server could no longer tell where they came from);
 * - `X-Frame-Options: DENY`, as `frame-ancestors 'none'` says for browsers without CSP.
 */
export const HELMET_OPTIONS = Object.freeze({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      baseUri: ["'none'"],
      connectSrc: ["'self'"], // the status and keep-alive endpoints, the sign-out fetch, the clock's event stream
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      imgSrc: ["'self'", 'data:'], // the empty data: favicon that spares a request for /favicon.ico
      objectSrc: ["'none'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'"],
    },
  },
  crossOriginOpenerPolicy: { policy: 'same-origin' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  referrerPolicy: { policy: 'same-origin' },
  xFrameOptions: { action: 'deny' },
} satisfies HelmetOptions);

/**
 * The session cookie's name: `__Host-demo.sid` for a request that came over HTTPS (directly, or through a
 * trusted TLS-terminating proxy), `demo.sid` over plain HTTP. Browsers accept a `__Host-` cookie only with
 * `Secure`, `Path=/` and no `Domain`, and never let a subdomain or a plain-HTTP page set or overwrite one
 * (cookie tossing, session fixation through a sibling domain); they refuse it over plain HTTP, hence the
 * plain name there (localhost in development).
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-demo.sid' : 'demo.sid';
}

/** Form bodies the sample app reads: `application/x-www-form-urlencoded` in UTF-8, as its pages send them. */
const ACCEPTED_CHARSETS = new Set(['utf-8']);

/**
 * The `415` error for a request body in a charset the app does not read (`charset=koi8-r`), or `null`.
 * Checked before every framework's body parser, so that Express (which would also accept ISO-8859-1), Koa
 * (which would decode any charset as UTF-8) and Fastify refuse the same bodies. A `Content-Type` without a charset
 * (what browsers send for forms) is UTF-8.
 */
export function unsupportedCharset(contentType: string | undefined): (Error & { status: number; expose: boolean }) | null {
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType ?? '');
  if (!match) return null;
  const charset = (match[1] ?? match[2] ?? '').toLowerCase();
  if (ACCEPTED_CHARSETS.has(charset)) return null;
  return Object.assign(new Error(`unsupported charset "${charset.toUpperCase().slice(0, 40)}"`), { status: 415, expose: true });
}

/**
 * A body parser's error as the client's error it is: its own 4xx status (`413` too large, `415` an unknown
 * `Content-Encoding`) when it has one, else `400`: a body that cannot be read (corrupt gzip, a broken
 * stream) is the client's doing, never a 5xx. (Express's body-parser answers those 400 itself; Koa's
 * co-body lets zlib's errors through without a status.)
 */
export function asClientError(error: unknown): Error & { status: number; expose: boolean } {
  const status = (error as { status?: unknown } | null)?.status;
  const code = typeof status === 'number' && status >= 400 && status < 500 ? status : 400;
  const wrapped = error instanceof Error ? error : new Error(String(error));
  return Object.assign(wrapped, { status: code, expose: true });
}
