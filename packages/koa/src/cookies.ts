import { cookieValues } from '@idle-session/core';
import type { Context } from 'koa';

/** The parts of Koa's `ctx.cookies` (the `cookies` package) used here. */
interface CookieJar {
  get(name: string, options?: { signed?: boolean }): string | undefined;
  set(name: string, value?: string | null, options?: Record<string, unknown>): unknown;
  keys?: { index(data: string, digest: string): number; sign(data: string): string };
}

/**
 * The value of the signed cookie `name` that carries a valid signature (`name.sig`), choosing among
 * every value either cookie has in the request: a second cookie of the same name (planted from a sibling
 * subdomain, or sent first because of a longer path) is passed over instead of hiding the real one.
 * `undefined` when no pair verifies.
 */
export function verifiedCookie(ctx: Context, name: string): string | undefined {
  const jar = ctx.cookies as unknown as CookieJar;
  const keys = jar.keys;
  if (!keys) return undefined;
  const header = ctx.get('cookie');
  const signatures = cookieValues(header, `${name}.sig`);
  for (const value of cookieValues(header, name)) {
    for (const signature of signatures) {
      const index = keys.index(`${name}=${value}`, signature);
      if (index < 0) continue;
      // Signed with an older key: signed again with the current one, as the cookies package does.
      if (index > 0) jar.set(`${name}.sig`, keys.sign(`${name}=${value}`), { signed: false });
      return value;
    }
  }
  return undefined;
}

/**
 * Makes this request's cookie jar safe for koa-session's cookie `name` (for a session read from the
 * cookie, which happens after this runs: cookie-only sessions):
 * - reading it picks the value with a valid signature among duplicates (see {@link verifiedCookie});
 * - the `cookies` package's reaction to a signature that does not match, deleting `name.sig`, is skipped:
 *   with a planted duplicate it would delete the real session's signature, signing the user out;
 * - writing the value the request already carries is skipped, so a session cookie is sent only when it
 *   changes (as express-session does), not again at every write of the session.
 */
export function guardSessionCookies(ctx: Context, name: string): void {
  const jar = ctx.cookies as unknown as CookieJar;
  const get = jar.get;
  const set = jar.set;
  const header = ctx.get('cookie');
  const sent = new Set([name, `${name}.sig`].flatMap((cookie) => cookieValues(header, cookie).map((value) => `${cookie}=${value}`)));
  jar.get = function (this: CookieJar, cookie: string, options?: { signed?: boolean }) {
    if (cookie === name && options?.signed !== false && jar.keys) return verifiedCookie(ctx, name);
    return get.call(this, cookie, options);
  };
  jar.set = function (this: CookieJar, cookie: string, value?: string | null, options?: Record<string, unknown>) {
    if (cookie === `${name}.sig` && value == null && options?.signed === false) return this; // the mismatch deletion
    // The value the browser already has (its signature, made by the same keys, is unchanged too): nothing to send.
    if ((cookie === name || cookie === `${name}.sig`) && value && sent.has(`${cookie}=${value}`) && !options?.expires) return this;
    return set.call(this, cookie, value, options);
  };
}

/**
 * Drops, from the response, the deletion of `name.sig` that the `cookies` package sent while koa-session
 * read an external session's key before idle-session ran, when the request carries a valid pair: it
 * came from a planted duplicate cookie and would sign the user out. Use {@link safeExternalKey} so the
 * right session is also the one read.
 */
export function keepValidSignature(ctx: Context, name: string): void {
  const cookies = ctx.response.get('Set-Cookie') as unknown;
  if (!Array.isArray(cookies) || verifiedCookie(ctx, name) === undefined) return;
  const deletion = `${name}.sig=;`;
  const kept = (cookies as string[]).filter((cookie) => !(cookie.startsWith(deletion) && /expires=Thu, 01 Jan 1970/i.test(cookie)));
  if (kept.length === cookies.length) return;
  if (kept.length === 0) ctx.remove('Set-Cookie');
  else ctx.set('Set-Cookie', kept);
}

/**
 * koa-session's `externalKey` option, for sessions kept in a store (`name`: the cookie's name, by default
 * koa-session's `key` option as this request has it): reads the session cookie with a valid
 * signature even when another cookie of the same name was planted (see {@link verifiedCookie}), never
 * deletes the signature cookie, and sends the cookie only when its value changes.
 *
 * @example
 * ```ts
 * app.use(session({ key: 'app.sid', maxAge: 'session', store, externalKey: safeExternalKey('app.sid') }, app));
 * ```
 * @param name - the cookie's name; default: koa-session's `key` option as the request has it.
 */
export function safeExternalKey(name?: string): { get(ctx: Context): string; set(ctx: Context, value: string): void } {
  const optionsOf = (ctx: Context) => (ctx as Context & { sessionOptions?: Record<string, unknown> }).sessionOptions ?? {};
  // Without a name, koa-session's `key` for this request (an app may choose it per request, such as `__Host-` over HTTPS).
  const nameOf = (ctx: Context) => name ?? (typeof optionsOf(ctx).key === 'string' ? (optionsOf(ctx).key as string) : 'koa.sess');
  return {
    get: (ctx) => verifiedCookie(ctx, nameOf(ctx)) ?? '', // '': no session yet (koa-session then makes one)
    set: (ctx, value) => {
      if (verifiedCookie(ctx, nameOf(ctx)) === value) return;
      ctx.cookies.set(nameOf(ctx), value, optionsOf(ctx) as never);
    },
  };
}
