import { checkThenWrite, storeEntry, writesConditionally } from '@idle-session/core';
import type { CookieOptions, Request } from 'express';
import type { Session } from 'express-session';

/** Promise wrappers around express-session's callback methods. */

/** express-session's session object, with the app's and idle-session's fields. */
export type ExpressSession = Session & Record<string, unknown>;

/** The message of the Error thrown by `signIn`, `setLimits` and `recordActivity` for a request without `req.session`. */
export const MISSING_SESSION_ERROR =
  'idle-session: req.session is missing. Mount express-session before idle-session: ' +
  'app.use(session({ ... })); app.use(idleSession({ ... })).';

/**
 * Said once per middleware, the first time a request reaches idle-session without `req.session`. That is
 * normal for requests express-session skips on purpose (outside its `cookie.path`, `OPTIONS *`, while its
 * store is disconnected): they are treated as having no session. If it happens on every request,
 * express-session is not mounted.
 */
export const MISSING_SESSION_WARNING =
  'idle-session: a request arrived without req.session; it is treated as having no session. ' +
  "express-session skips requests outside its cookie.path and while its store is disconnected, so this can be normal. If every request has no session, mount express-session before idle-session: " +
  'app.use(session({ ... })); app.use(idleSession({ ... })).';

/** Destroys the current session in the store and gives the request a new one with a new id. */
export function regenerate(session: Session): Promise<void> {
  return new Promise((resolve, reject) => session.regenerate((error: unknown) => (error ? reject(error) : resolve())));
}

/** Destroys the current session in the store; `req.session` is unset afterwards. */
export function destroy(session: Session): Promise<void> {
  return new Promise((resolve, reject) => session.destroy((error: unknown) => (error ? reject(error) : resolve())));
}

/**
 * The name and attributes of the cookie that carries this session, found in the request's `Cookie`
 * header (express-session does not expose its `name` option: its signed value is `s:<session id>.<mac>`),
 * so that sign-out can delete it with the attributes it was set with; `null` when the request carries none.
 */
export function sessionCookie(req: Request, session: ExpressSession): { name: string; options: CookieOptions } | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 1) continue;
    let value: string;
    try {
      value = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      continue;
    }
    if (!value.startsWith(`s:${session.id}.`)) continue;
    const { path, domain, secure, httpOnly, sameSite } = session.cookie;
    const { partitioned } = session.cookie as { partitioned?: boolean }; // express-session 1.18+; a CHIPS cookie is deleted only as Partitioned
    return { name: part.slice(0, at).trim(), options: { path, domain, secure: secure === true, httpOnly, sameSite, ...(partitioned ? { partitioned } : {}) } };
  }
  return null;
}

/** Saves the session now (through any check installed by {@link checkBeforeSave}). */
export function save(session: Session): Promise<void> {
  return new Promise((resolve, reject) => session.save((error: unknown) => (error ? reject(error) : resolve())));
}

/** Makes express-session never write this session back (it holds nothing that was read from the store). */
export function neverSave(session: Session): void {
  Object.defineProperty(session, 'save', {
    configurable: true,
    enumerable: false,
    writable: true,
    value(this: Session, callback?: (error?: unknown) => void) {
      callback?.();
      return this;
    },
  });
}

type SaveCallback = (error?: unknown) => void;

/**
 * Whether the request's store writes conditionally (`CONDITIONAL_WRITES`, such as `@idle-session/redis`'s
 * store): it then refuses ended sessions and older last-activity itself, in the same round trip as the
 * write, and the adapter installs no check of its own ({@link checkBeforeSave}).
 */
export function storeWritesConditionally(req: Request): boolean {
  return writesConditionally((req as unknown as { sessionStore?: unknown }).sessionStore);
}

/**
 * Makes this request's session object check the store before express-session writes it back at the end
 * of the request (core's `checkThenWrite`): a destroyed session is never put back, last-activity never
 * moves backwards. For stores that do not write conditionally (see {@link storeWritesConditionally}).
 */
export function checkBeforeSave(
  req: Request,
  session: ExpressSession,
  decide: (stored: { exists: boolean; record: unknown }) => { record: unknown } | null,
): void {
  const store = (req as unknown as { sessionStore?: unknown }).sessionStore;
  const save = session.save as (callback?: SaveCallback) => Session;
  if (!store || typeof save !== 'function') return;
  const entry = storeEntry(store, session.id);
  Object.defineProperty(session, 'save', {
    configurable: true,
    enumerable: false,
    writable: true,
    value(this: Session, callback?: SaveCallback) {
      const write = () => new Promise<void>((resolve, reject) => save.call(this, (error) => (error ? reject(error) : resolve())));
      checkThenWrite(entry, session, decide, write).then(() => callback?.(), (error: unknown) => callback?.(error));
      return this;
    },
  });
}
