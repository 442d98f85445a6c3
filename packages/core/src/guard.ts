/** The header a keep-alive must carry, with the value {@link KEEPALIVE_HEADER_VALUE}. */
export const KEEPALIVE_HEADER = 'X-Idle-Session';
/** The value of {@link KEEPALIVE_HEADER}. */
export const KEEPALIVE_HEADER_VALUE = '1';

/** Result of {@link checkKeepAliveOrigin}: allowed, or refused with a reason for the 403 body. */
export type KeepAliveCheck = { readonly ok: true } | { readonly ok: false; readonly message: string };

/**
 * The forgery guard (CSRF defence) for `POST {prefix}/keepalive`, framework-free.
 *
 * A keep-alive extends a session, so another site must not be able to send one with the user's
 * cookie. Three layers (OWASP CSRF Prevention Cheat Sheet):
 * - the custom header `X-Idle-Session: 1`: a cross-site form or image cannot set it, and a cross-site
 *   `fetch` that sets it needs a CORS preflight that this library never approves ("Custom Request Headers");
 * - `Sec-Fetch-Site`, when the header is present (even empty), must be `same-origin` ("Fetch Metadata headers");
 * - where a browser sends no `Sec-Fetch-Site` (older browsers), `Origin`, when present, must name the
 *   host the request was sent to (`Host`): a cross-site or opaque (`null`) origin is refused ("Verifying
 *   Origin with Standard Headers"). The scheme is not compared, since behind a TLS-terminating proxy
 *   the server may not know it. Neither header (non-browser clients) is allowed, with the custom header.
 *
 * @param header - reads a request header by lower-case name; `undefined` when absent, `''` when empty.
 */
export function checkKeepAliveOrigin(header: (lowerCaseName: string) => string | undefined): KeepAliveCheck {
  if (header(KEEPALIVE_HEADER.toLowerCase()) !== KEEPALIVE_HEADER_VALUE) {
    return { ok: false, message: `A keep-alive must carry the header ${KEEPALIVE_HEADER}: ${KEEPALIVE_HEADER_VALUE}.` };
  }
  const site = header('sec-fetch-site');
  if (site !== undefined) {
    return site === 'same-origin' ? { ok: true } : { ok: false, message: `A keep-alive must come from the same origin (Sec-Fetch-Site was "${site}").` };
  }
  const origin = header('origin');
  if (origin !== undefined && !sameHost(origin, header('host'))) {
    return { ok: false, message: 'A keep-alive must come from the same origin (Origin names another site).' };
  }
  return { ok: true };
}

/** Whether an `Origin` header names the host (`host[:port]`, case-insensitive) of the request's `Host` header. */
function sameHost(origin: string, host: string | undefined): boolean {
  // An origin is `scheme://host[:port]`, serialized by the browser; `null` (an opaque origin) and anything else never match.
  const match = /^https?:\/\/([^/?#@\s]+)$/i.exec(origin.trim());
  return !!host && !!match && match[1]!.toLowerCase() === host.trim().toLowerCase();
}

/**
 * The optional request header by which a keep-alive names the session it is for: the `sessionId` of the
 * status body the page was built from (`ActiveStatusBody.sessionId`), as given there.
 *
 * A tab built for one session must never extend another session of the same browser (the user signed out
 * in another tab and signed in again, so the cookie now names a new session). When the header is present
 * and does not equal the `sessionId` the server would report for the request's current session, the
 * keep-alive records no activity and extends nothing, and is answered as `GET {prefix}/status` would be
 * (200 with the current session's active body, whose other `sessionId` tells the tab), or with the
 * keep-alive's usual 401 when there is no session. Absent or empty: no session is named and the keep-alive
 * works as without it. A value longer than a `sessionId` can be (100 characters) names no session there is,
 * so it never matches.
 */
export const SESSION_ID_HEADER = 'X-Idle-Session-Id';

/**
 * The session a keep-alive names with {@link SESSION_ID_HEADER}, or `null` when it names none (the header
 * is absent or empty). Untrusted: the value is only ever compared, never stored or logged.
 *
 * @param header - reads a request header by lower-case name; `undefined` when absent.
 */
export function namedSessionId(header: (lowerCaseName: string) => string | undefined): string | null {
  const value = header(SESSION_ID_HEADER.toLowerCase());
  return value === undefined || value === '' ? null : value;
}
