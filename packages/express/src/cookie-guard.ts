import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

/** Options of {@link preferSignedSessionCookie}: express-session's own `name` and `secret`. */
export interface SessionCookieGuardOptions {
  /** express-session's `name` option, the session cookie's name (default there: `connect.sid`). */
  name: string;
  /** express-session's `secret` option: one secret, or the list (the first signs, all verify). */
  secret: string | readonly string[];
}

/** Whether `signed` (`s:<value>.<signature>`, as express-session writes it) is signed with one of `secrets`. */
function isSigned(signed: string, secrets: readonly string[]): boolean {
  if (!signed.startsWith('s:')) return false;
  const body = signed.slice(2);
  const dot = body.lastIndexOf('.');
  if (dot < 1) return false;
  const value = body.slice(0, dot);
  const given = Buffer.from(body.slice(dot + 1));
  return secrets.some((secret) => {
    // express-session's signature: base64 HMAC-SHA256 of the value, without padding (cookie-signature).
    const expected = Buffer.from(createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, ''));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

/**
 * Middleware to mount **before** express-session: when the request's `Cookie` header carries the
 * session cookie's name more than once (a cookie planted from a sibling subdomain, or sent first because
 * of a longer path: "cookie tossing"), it moves the one with a valid signature first. express-session reads
 * only the first, so without this the planted one hides the real session and the user looks signed out.
 * Requests with one such cookie, or none, are left as they are. Over HTTPS, a `__Host-` cookie name
 * prevents the planting in the first place; use both.
 *
 * @example
 * ```ts
 * app.use(preferSignedSessionCookie({ name: 'app.sid', secret }));
 * app.use(session({ name: 'app.sid', secret, resave: false, saveUninitialized: false }));
 * ```
 * @throws TypeError when `name` or `secret` is missing (at start-up).
 */
export function preferSignedSessionCookie(options: SessionCookieGuardOptions): RequestHandler {
  const { name } = options;
  const secrets = (typeof options.secret === 'string' ? [options.secret] : [...(options.secret ?? [])]).filter((s) => typeof s === 'string' && s !== '');
  if (typeof name !== 'string' || name === '') throw new TypeError('idle-session: preferSignedSessionCookie() needs the session cookie\'s "name" (express-session\'s name option).');
  if (secrets.length === 0) throw new TypeError('idle-session: preferSignedSessionCookie() needs express-session\'s "secret".');
  return (req, _res, next) => {
    const header = req.headers.cookie;
    if (!header || header.indexOf(`${name}=`) === header.lastIndexOf(`${name}=`)) return next();
    const parts = header.split(';').map((part) => part.trim());
    const ours = (part: string) => part.startsWith(`${name}=`);
    const valid = parts.find((part) => {
      if (!ours(part)) return false;
      try {
        return isSigned(decodeURIComponent(part.slice(name.length + 1)), secrets);
      } catch {
        return false; // malformed percent-encoding: not ours
      }
    });
    if (valid !== undefined) req.headers.cookie = [valid, ...parts.filter((part) => part !== valid)].join('; ');
    next();
  };
}
