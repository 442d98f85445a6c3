import { CONDITIONAL_WRITES } from '@idle-session/core';
import type { Request } from 'express';
import type { Session } from 'express-session';

/** Promise wrappers around express-session's callback methods. */

/** express-session's session object, with the app's and idle-session's fields. */
export type ExpressSession = Session & Record<string, unknown>;

/** `req.session`, or an error that says how to mount express-session first. */
export function requireSession(req: Request): ExpressSession {
  const session = (req as Request & { session?: Session }).session;
  if (!session) {
    throw new Error(
      'idle-session: req.session is missing. Mount express-session before idle-session: ' +
        'app.use(session({ ... })); app.use(idleSession({ ... })).',
    );
  }
  return session as ExpressSession;
}

/** Destroys the current session in the store and gives the request a new one with a new id. */
export function regenerate(session: Session): Promise<void> {
  return new Promise((resolve, reject) => session.regenerate((error: unknown) => (error ? reject(error) : resolve())));
}

/** Destroys the current session in the store; `req.session` is unset afterwards. */
export function destroy(session: Session): Promise<void> {
  return new Promise((resolve, reject) => session.destroy((error: unknown) => (error ? reject(error) : resolve())));
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
type StoreLike = { get(id: string, callback: (error: unknown, session?: Record<string, unknown> | null) => void): void };

/**
 * Makes this request's session object check before express-session writes it back at the end of the
 * request: `decide` sees the store's current copy (or `null` when it is gone) and either refuses the
 * write (a destroyed session is never put back) or says which record to write. With a store that writes
 * conditionally (`CONDITIONAL_WRITES`), the store checks in the same round trip as the write, so `decide`
 * gets `undefined` and there is no read of the adapter's own.
 */
export function checkBeforeSave(
  req: Request,
  session: ExpressSession,
  decide: (stored: Record<string, unknown> | null | undefined) => { save: false } | { save: true; apply: () => void },
): void {
  const store = (req as unknown as { sessionStore?: StoreLike }).sessionStore;
  const save = session.save as (callback?: SaveCallback) => Session;
  if (!store || typeof save !== 'function') return;
  const id = session.id;
  const conditional = (store as unknown as Record<string, unknown>)[CONDITIONAL_WRITES] === true;
  Object.defineProperty(session, 'save', {
    configurable: true,
    enumerable: false,
    writable: true,
    value(this: Session, callback?: SaveCallback) {
      if (conditional) {
        const decision = decide(undefined);
        if (!decision.save) callback?.();
        else {
          decision.apply();
          save.call(this, callback);
        }
        return this;
      }
      store.get(id, (error, stored) => {
        if (error) return callback?.(error);
        const decision = decide(stored ?? null);
        if (!decision.save) return callback?.();
        decision.apply();
        save.call(this, callback);
      });
      return this;
    },
  });
}
