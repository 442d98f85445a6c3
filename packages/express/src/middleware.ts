import {
  checkKeepAliveOrigin,
  recordId,
  SessionLedger,
  settleBeforeSave,
  unknownEndpointResponse,
  endedRecord,
  ENDPOINT_METHODS,
  evaluateRecord,
  forbiddenResponse,
  guardDecision,
  keepAliveResponse,
  matchEndpoint,
  methodResponse,
  planRequest,
  readEndedReason,
  resolveOptions,
  SESSION_KEY,
  startRecord,
  statusResponse,
  type EndpointResponse,
  type ExpiryReason,
  type IdlePolicy,
  type IdleSessionOptions,
  type RequestActivity,
  type SessionEvaluation,
} from '@idle-session/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { checkBeforeSave, destroy, regenerate, requireSession } from './session.js';

/** Options of {@link idleSession}: the core adapter options, with `isActivity` taking an Express request. */
export type ExpressIdleSessionOptions = IdleSessionOptions<Request>;

/** Options of {@link IdleSessionMiddleware.requireSignIn}. */
export interface RequireSignInOptions {
  /** Where an HTML request without an active session is redirected, with `?reason=idle|absolute` after an expiry. Default `/login`. */
  loginUrl?: string;
}

/**
 * The middleware returned by {@link idleSession}: mount it with `app.use()` after express-session.
 * It serves `GET {prefix}/status` and `POST {prefix}/keepalive`, records activity, and ends expired
 * sessions; its methods start and stop tracking and guard protected routes.
 */
export interface IdleSessionMiddleware extends RequestHandler {
  /** The validated policy, with defaults filled in (milliseconds), e.g. to tell users the idle timeout. */
  readonly policy: IdlePolicy;
  /**
   * Signs a user in: regenerates the session id (against session fixation, OWASP Session Management
   * Cheat Sheet, "Renew the Session ID After Any Privilege Level Change") and starts tracking. Store the
   * user in `req.session` after it resolves. Clears a remembered expiry reason.
   * @throws the store's error, or an Error when express-session is not mounted.
   */
  signIn(req: Request): Promise<void>;
  /** Signs out: destroys the session in the store. Tracking ends; the status endpoint then answers `none`. */
  signOut(req: Request): Promise<void>;
  /** The session's state for this request, as evaluated by the middleware (`none` before it ran). */
  state(req: Request): SessionEvaluation;
  /**
   * Why the user's last session ended, `'idle'` or `'absolute'`, from the request on which it expired
   * until the next sign-in; `null` otherwise. A login page uses it to say "signed out after 15 minutes of inactivity".
   */
  endedReason(req: Request): ExpiryReason | null;
  /**
   * A route guard: passes requests with an active tracked session; redirects HTML requests once to
   * `loginUrl` (with `?reason=` after an expiry); answers JSON requests (`Accept: application/json`) with
   * 401 and `{"state":"expired","reason":…}` or `{"state":"none"}`.
   */
  requireSignIn(options?: RequireSignInOptions): RequestHandler;
}

/** Writes an endpoint's answer as it is: no ETag, so never a 304 (the status must always be fresh). */
function send(res: Response, answer: EndpointResponse, method: string): void {
  res.status(answer.status).set(answer.headers);
  if (answer.body === null) return void res.end();
  const text = JSON.stringify(answer.body);
  res.set('Content-Length', String(Buffer.byteLength(text)));
  res.end(method === 'HEAD' ? undefined : text);
}

/**
 * Creates the Express middleware for server-side idle and absolute session timeouts, on top of
 * express-session (Express 4 and 5).
 *
 * Options are validated here, once: an invalid one throws an `IdlePolicyError` (a TypeError) that names
 * it. Durations are in milliseconds. A `warnBefore` under 20 s prints a WCAG 2.2 SC 2.2.1 warning.
 *
 * @example
 * ```ts
 * const idle = idleSession({ idleTimeout: 15 * 60_000, absoluteTimeout: 8 * 3_600_000 });
 * app.use(session({ secret, resave: false, saveUninitialized: false, cookie: { httpOnly: true, sameSite: 'lax' } }));
 * app.use(idle);
 * ```
 */
export function idleSession(options: ExpressIdleSessionOptions): IdleSessionMiddleware {
  if (typeof options === 'object' && options !== null && 'method' in options && 'url' in options) {
    throw new TypeError('idle-session: idleSession() was given a request. Write app.use(idleSession({ idleTimeout })), not app.use(idleSession).');
  }
  const { policy, prefix, isActivity, warnings } = resolveOptions(options);
  for (const warning of warnings) console.warn(warning);
  const states = new WeakMap<Request, SessionEvaluation>();
  const ledger = new SessionLedger(Math.max(10 * 60_000, policy.idleTimeout + policy.touchInterval));
  let warnedPersistentCookie = false;

  /** Remembers that the session holding `record` ended, so no request still in flight writes it back. */
  function end(record: unknown): void {
    const id = recordId(record);
    if (id !== null) ledger.end(id, policy.clock.now());
  }

  /** Before express-session writes this session back: never resurrect it, never move activity backwards. */
  function protect(req: Request, session: ReturnType<typeof requireSession>): void {
    checkBeforeSave(req, session, (stored) => {
      const decision = settleBeforeSave(session[SESSION_KEY], {
        stored: { exists: stored !== null, record: stored?.[SESSION_KEY] },
        ledger,
        now: policy.clock.now(),
      });
      return decision.save ? { save: true, apply: () => void (session[SESSION_KEY] = decision.record) } : { save: false };
    });
  }

  async function handle(req: Request, res: Response, next: NextFunction): Promise<void> {
    const endpoint = matchEndpoint(prefix, req.path);
    if (endpoint === 'unknown') return send(res, unknownEndpointResponse(prefix), req.method);
    if (endpoint) {
      const method = req.method === 'HEAD' && endpoint === 'status' ? 'GET' : req.method;
      if (method !== ENDPOINT_METHODS[endpoint]) return send(res, methodResponse(endpoint, req.method), req.method);
      if (endpoint === 'keepalive') {
        const check = checkKeepAliveOrigin((name) => req.get(name));
        if (!check.ok) return send(res, forbiddenResponse(check.message), req.method);
      }
    }
    const activity: RequestActivity =
      endpoint === 'status' ? 'passive' : endpoint === 'keepalive' ? 'keepalive' : isActivity(req) ? 'activity' : 'passive';
    const session = requireSession(req);
    const record = session[SESSION_KEY];
    const plan = planRequest(record, policy, policy.clock.now(), activity, ledger);
    if (record !== undefined) protect(req, session);
    if (plan.discard) {
      await regenerate(session); // a fresh anonymous session, so app code still finds req.session
    } else if (plan.expire) {
      end(record);
      await regenerate(session);
      requireSession(req)[SESSION_KEY] = endedRecord(plan.expire.reason);
    } else if (plan.write) {
      session[SESSION_KEY] = plan.write;
    }
    states.set(req, plan.evaluation);
    if (endpoint === 'status') return send(res, statusResponse(plan.evaluation, policy), req.method);
    if (endpoint === 'keepalive') return send(res, keepAliveResponse(plan.evaluation, policy), req.method);
    next();
  }

  const middleware = ((req: Request, res: Response, next: NextFunction) => {
    handle(req, res, next).catch(next);
  }) as IdleSessionMiddleware;
  Object.defineProperty(middleware, 'policy', { value: policy, enumerable: true });

  middleware.signIn = async (req) => {
    const previous = requireSession(req);
    end(previous[SESSION_KEY]);
    await regenerate(previous);
    const session = requireSession(req);
    session[SESSION_KEY] = startRecord(policy.clock.now());
    states.set(req, evaluateRecord(session[SESSION_KEY], policy, policy.clock.now()));
    if (!warnedPersistentCookie && (session.cookie.originalMaxAge != null || session.cookie.expires)) {
      warnedPersistentCookie = true;
      console.warn(
        'idle-session: the session cookie has a Max-Age or Expires, so it outlives the browser. ' +
          'Leave cookie.maxAge and cookie.expires unset in express-session so that closing the browser ends the session.',
      );
    }
  };
  middleware.signOut = async (req) => {
    const session = (req as Request & { session?: Parameters<typeof destroy>[0] }).session;
    if (session) {
      end((session as unknown as Record<string, unknown>)[SESSION_KEY]);
      await destroy(session);
    }
    states.set(req, { state: 'none' });
  };
  middleware.state = (req) => states.get(req) ?? { state: 'none' };
  middleware.endedReason = (req) => {
    const session = (req as Request & { session?: Record<string, unknown> }).session;
    return session ? readEndedReason(session[SESSION_KEY]) : null;
  };
  middleware.requireSignIn = ({ loginUrl = '/login' } = {}) =>
    (req, res, next) => {
      const decision = guardDecision(middleware.state(req), loginUrl, (name) => req.get(name));
      if (decision.action === 'allow') return next();
      res.set('Cache-Control', 'no-store');
      if (decision.action === 'redirect') return res.redirect(303, decision.location);
      res.status(decision.status).json(decision.body);
    };
  return middleware;
}
