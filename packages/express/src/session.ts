import type { Request } from 'express';
import type { Session } from 'express-session';

/** Promise wrappers around express-session's callback methods. */

/** `req.session`, or an error that says how to mount express-session first. */
export function requireSession(req: Request): Session & Record<string, unknown> {
  const session = (req as Request & { session?: Session }).session;
  if (!session) {
    throw new Error(
      'idle-session: req.session is missing. Mount express-session before idle-session: ' +
        'app.use(session({ ... })); app.use(idleSession({ ... })).',
    );
  }
  return session as Session & Record<string, unknown>;
}

/** Destroys the current session in the store and gives the request a new one with a new id. */
export function regenerate(session: Session): Promise<void> {
  return new Promise((resolve, reject) => session.regenerate((error: unknown) => (error ? reject(error) : resolve())));
}

/** Destroys the current session in the store; `req.session` is unset afterwards. */
export function destroy(session: Session): Promise<void> {
  return new Promise((resolve, reject) => session.destroy((error: unknown) => (error ? reject(error) : resolve())));
}
