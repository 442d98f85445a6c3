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

/** What an adapter knows at sign-in about the session cookie it is about to send, for {@link signInCookieWarnings}. */
export interface SignInCookie {
  /** Whether the cookie carries `Secure`. */
  readonly secure: boolean;
  /** Whether it has `Max-Age` or `Expires` (it then outlives the browser, against requirement 1). */
  readonly persistent: boolean;
  /** Whether the framework sees the request as HTTPS (trusted proxy headers included). */
  readonly https: boolean;
  /** The request's headers, to tell an HTTPS request behind a proxy the app does not trust. */
  readonly header: HeaderReader;
}

/**
 * The checks an adapter makes of the session cookie at each sign-in, each warned once (`console.warn`):
 * `Secure` missing on a sign-in that arrived over HTTPS ({@link insecureCookieWarning} with `advice.proxy`;
 * OWASP Session Management Cheat Sheet, "Secure Attribute"); a persistent cookie (`advice.persistent`); and,
 * when `advice.secureOverHttp` is given, a `Secure` cookie on a plain-HTTP request that the session library
 * then neither saves nor sends.
 */
export function signInCookieWarnings(advice: { proxy: string; persistent: string; secureOverHttp?: string }): (cookie: SignInCookie) => void {
  const said = new Set<string>();
  const { console } = globalThis as unknown as { console: { warn(message: string): void } };
  const warn = (message: string) => void (said.has(message) || (said.add(message), console.warn(message)));
  return (cookie) => {
    if (advice.secureOverHttp && cookie.secure && !cookie.https) warn(advice.secureOverHttp);
    if (!cookie.secure && arrivedOverHttps(cookie.https, cookie.header)) warn(insecureCookieWarning(advice.proxy));
    if (cookie.persistent) warn(advice.persistent);
  };
}

/** Reads a Node request header by lower-case name as it arrived: `undefined` when absent, `''` when sent empty, repeated ones joined. */
export function nodeHeaderReader(headers: Readonly<Record<string, string | string[] | undefined>>): HeaderReader {
  return (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
}

/**
 * Every value a `Cookie` header gives the cookie `name`, in order: a name may come more than once (a cookie
 * planted from a sibling subdomain, or one sent first because of a longer path), and session libraries read
 * only the first. Double quotes around a value are removed; with `decode`, values are percent-decoded (one
 * that does not decode is kept as it came, and will not verify).
 */
export function cookieValues(header: string | undefined, name: string, { decode = false }: { decode?: boolean } = {}): string[] {
  const values: string[] = [];
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 1 || part.slice(0, at).trim() !== name) continue;
    let value = part.slice(at + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length > 1) value = value.slice(1, -1);
    if (decode) {
      try {
        value = decodeURIComponent(value);
      } catch {
        // kept as it came
      }
    }
    values.push(value);
  }
  return values;
}
