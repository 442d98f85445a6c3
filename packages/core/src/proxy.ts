import type { HeaderReader } from './guard-route.js';

/**
 * Whether a request arrived over HTTPS as far as its headers tell, trusted or not: `secure` (what the
 * framework decided: Express `req.secure`, Koa `ctx.secure`, which follow its proxy setting), or a
 * `X-Forwarded-Proto: https` or `Forwarded: proto=https` header (the first hop's, what a TLS-terminating
 * proxy sends). Used only to warn about a missing `Secure` cookie attribute, never to decide anything
 * about security: the headers are forgeable unless the app trusts its proxy.
 */
export function arrivedOverHttps(secure: boolean, header: HeaderReader): boolean {
  if (secure) return true;
  const forwardedProto = header('x-forwarded-proto')?.split(',', 1)[0]?.trim().toLowerCase();
  if (forwardedProto === 'https') return true;
  const forwarded = header('forwarded')?.split(',', 1)[0] ?? '';
  return /(?:^|;)\s*proto\s*=\s*"?https"?\s*(?:;|$)/i.test(forwarded);
}

/**
 * The warning an adapter prints once when a sign-in arrives over HTTPS (see {@link arrivedOverHttps}) but
 * its session cookie goes out without `Secure` (OWASP Session Management Cheat Sheet, "Secure Attribute"):
 * usually a TLS-terminating proxy the app does not trust yet.
 *
 * @param fix - what to change in the framework, such as `app.set('trust proxy', 1) and cookie.secure: 'auto'`.
 */
export function insecureCookieWarning(fix: string): string {
  return (
    'idle-session: a sign-in arrived over HTTPS, but its session cookie goes out without the Secure attribute, so the ' +
    `browser would also send it over plain HTTP. Behind a TLS-terminating proxy, trust the proxy: ${fix}; and have the ` +
    'proxy send X-Forwarded-Proto: https (Express and Koa do not read the standard Forwarded header, and Express ' +
    'expects "https" in lower case).'
  );
}
