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
 * cookie. Two checks, both needed:
 * - the custom header `X-Idle-Session: 1`: a cross-site form or image cannot set it, and a cross-site
 *   `fetch` that sets it needs a CORS preflight that this library never approves
 *   (OWASP CSRF Prevention Cheat Sheet, "Custom Request Headers");
 * - where the browser sends `Sec-Fetch-Site`, it must be `same-origin` (OWASP, "Fetch Metadata headers").
 *
 * @param header - reads a request header by lower-case name; `undefined` when absent.
 */
export function checkKeepAliveOrigin(header: (lowerCaseName: string) => string | undefined): KeepAliveCheck {
  if (header(KEEPALIVE_HEADER.toLowerCase()) !== KEEPALIVE_HEADER_VALUE) {
    return { ok: false, message: `A keep-alive must carry the header ${KEEPALIVE_HEADER}: ${KEEPALIVE_HEADER_VALUE}.` };
  }
  const site = header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') {
    return { ok: false, message: `A keep-alive must come from the same origin (Sec-Fetch-Site was "${site}").` };
  }
  return { ok: true };
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
