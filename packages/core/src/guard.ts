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
