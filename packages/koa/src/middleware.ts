import {
  checkKeepAliveOrigin,
  endedRecord,
  ENDPOINT_METHODS,
  forbiddenResponse,
  guardDecision,
  keepAliveResponse,
  matchEndpoint,
  methodResponse,
  planRequest,
  readEndedReason,
  recordId,
  resolveOptions,
  SESSION_KEY,
  SessionLedger,
  settleBeforeSave,
  startRecord,
  statusResponse,
  unknownEndpointResponse,
  evaluateRecord,
  type EndpointResponse,
  type ExpiryReason,
  type IdlePolicy,
  type IdleSessionOptions,
  type RequestActivity,
  type SessionEvaluation,
} from '@idle-session/core';
import type { Context, Middleware, Next } from 'koa';
import { dropSession, readStored, replaceSession, restoreSession, sessionOf, sessionOptions, type KoaSession } from './session.js';

/** Options of {@link idleSession}: the core adapter options, with `isActivity` taking a Koa context. */
export type KoaIdleSessionOptions = IdleSessionOptions<Context>;

/** Options of {@link KoaIdleSessionMiddleware.requireSignIn}. */
export interface RequireSignInOptions {
  /** Where an HTML request without an active session is redirected, with `?reason=idle|absolute` after an expiry. Default `/login`. */
  loginUrl?: string;
}

/**
 * The middleware returned by {@link idleSession}: mount it with `app.use()` after koa-session. It serves
 * `GET {prefix}/status` and `POST {prefix}/keepalive`, records activity, and ends expired sessions; its
 * methods start and stop tracking and guard protected routes.
 */
export interface KoaIdleSessionMiddleware extends Middleware {
  /** The validated policy, with defaults filled in (milliseconds). */
  readonly policy: IdlePolicy;
  /**
   * Signs a user in: a new session (new store key and cookie, against session fixation: OWASP Session
   * Management Cheat Sheet, "Renew the Session ID After Any Privilege Level Change") that is tracked.
   * Store the user in `ctx.session` after it resolves. Clears a remembered expiry reason.
   */
  signIn(ctx: Context): Promise<void>;
  /** Signs out: koa-session removes the session from the store and clears the cookie. */
  signOut(ctx: Context): Promise<void>;
  /** The session's state for this request, as evaluated by the middleware (`none` before it ran). */
  state(ctx: Context): SessionEvaluation;
  /** Why the user's last session ended, `'idle'` or `'absolute'`, until the next sign-in; `null` otherwise. */
  endedReason(ctx: Context): ExpiryReason | null;
  /**
   * A route guard: passes requests with an active tracked session; redirects HTML requests once to
   * `loginUrl` (with `?reason=`); answers JSON requests with 401 and `{"state":"expired","reason":…}` or `{"state":"none"}`.
   */
  requireSignIn(options?: RequireSignInOptions): Middleware;
}

function send(ctx: Context, answer: EndpointResponse): void {
  ctx.status = answer.status;
  ctx.set(answer.headers);
  ctx.body = answer.body === null ? null : JSON.stringify(answer.body);
}

/**
 * Creates the Koa middleware for server-side idle and absolute session timeouts, on top of koa-session
 * (with an external store, or cookie-only). Same options, endpoints and answers as `@idle-session/express`.
 *
 * Options are validated here, once: an invalid one throws an `IdlePolicyError` (a TypeError) naming it.
 * Durations are in milliseconds. A `warnBefore` under 20 s prints a WCAG 2.2 SC 2.2.1 warning.
 *
 * @example
 * ```ts
 * const idle = idleSession({ idleTimeout: 15 * 60_000 });
 * app.use(session({ maxAge: 'session', httpOnly: true, sameSite: 'lax', store }, app));
 * app.use(idle);
 * ```
 */
export function idleSession(options: KoaIdleSessionOptions): KoaIdleSessionMiddleware {
  if (typeof options === 'object' && options !== null && 'request' in options && 'response' in options) {
    throw new TypeError('idle-session: idleSession() was given a context. Write app.use(idleSession({ idleTimeout })), not app.use(idleSession).');
  }
  const { policy, prefix, isActivity, warnings } = resolveOptions(options);
  for (const warning of warnings) console.warn(warning);
  const states = new WeakMap<Context, SessionEvaluation>();
  const ledger = new SessionLedger(Math.max(10 * 60_000, policy.idleTimeout + policy.touchInterval));
  let warnedPersistentCookie = false;

  function end(record: unknown): void {
    const id = recordId(record);
    if (id !== null) ledger.end(id, policy.clock.now());
  }

  /** Before koa-session writes a changed session back: never resurrect it, never move activity backwards. */
  async function settle(ctx: Context, session: KoaSession, loaded: Record<string, unknown>): Promise<void> {
    if (JSON.stringify(session.toJSON()) === JSON.stringify(loaded)) return;
    const stored = await readStored(ctx, session.externalKey);
    const decision = settleBeforeSave(session[SESSION_KEY], {
      stored: stored && { exists: stored.exists, record: stored.data?.[SESSION_KEY] },
      ledger,
      now: policy.clock.now(),
    });
    if (!decision.save) restoreSession(session, loaded);
    else if (decision.record !== session[SESSION_KEY]) session[SESSION_KEY] = decision.record;
  }

  async function handle(ctx: Context, next: Next): Promise<void> {
    const endpoint = matchEndpoint(prefix, ctx.path);
    if (endpoint === 'unknown') return send(ctx, unknownEndpointResponse(prefix));
    if (endpoint) {
      const method = ctx.method === 'HEAD' && endpoint === 'status' ? 'GET' : ctx.method;
      if (method !== ENDPOINT_METHODS[endpoint]) return send(ctx, methodResponse(endpoint, ctx.method));
      if (endpoint === 'keepalive') {
        const check = checkKeepAliveOrigin((name) => ctx.get(name) || undefined);
        if (!check.ok) return send(ctx, forbiddenResponse(check.message));
      }
    }
    const activity: RequestActivity =
      endpoint === 'status' ? 'passive' : endpoint === 'keepalive' ? 'keepalive' : isActivity(ctx) ? 'activity' : 'passive';
    // koa-session turns `maxAge: 'session'` into its one-day default after the first save of a request;
    // put it back so that no Set-Cookie ever carries Expires or Max-Age.
    const browserSession = sessionOptions(ctx).maxAge === 'session';
    const session = sessionOf(ctx);
    const record = session?.[SESSION_KEY];
    const loaded = session && record !== undefined ? session.toJSON() : null;
    const plan = planRequest(record, policy, policy.clock.now(), activity, ledger);
    if (plan.discard) {
      await replaceSession(ctx, {});
    } else if (plan.expire) {
      end(record);
      await replaceSession(ctx, { [SESSION_KEY]: endedRecord(plan.expire.reason) });
    } else if (plan.write && session) {
      session[SESSION_KEY] = plan.write;
    }
    states.set(ctx, plan.evaluation);
    try {
      if (endpoint === 'status') send(ctx, statusResponse(plan.evaluation, policy));
      else if (endpoint === 'keepalive') send(ctx, keepAliveResponse(plan.evaluation, policy));
      else await next();
    } finally {
      if (browserSession) sessionOptions(ctx).maxAge = 'session';
      if (session && loaded && sessionOf(ctx) === session) await settle(ctx, session, loaded);
    }
  }

  const middleware = ((ctx: Context, next: Next) => handle(ctx, next)) as KoaIdleSessionMiddleware;
  Object.defineProperty(middleware, 'policy', { value: policy, enumerable: true });

  middleware.signIn = async (ctx) => {
    const options = sessionOptions(ctx);
    const browserSession = options.maxAge === 'session';
    end(sessionOf(ctx)?.[SESSION_KEY]);
    const record = startRecord(policy.clock.now());
    await replaceSession(ctx, { [SESSION_KEY]: record });
    if (browserSession) options.maxAge = 'session';
    states.set(ctx, evaluateRecord(record, policy, policy.clock.now()));
    if (!warnedPersistentCookie && typeof options.maxAge === 'number') {
      warnedPersistentCookie = true;
      console.warn(
        'idle-session: koa-session has a numeric maxAge, so the session cookie gets Expires and outlives the browser. ' +
          'Set maxAge: "session" so that closing the browser ends the session.',
      );
    }
  };
  middleware.signOut = async (ctx) => {
    end(sessionOf(ctx)?.[SESSION_KEY]);
    dropSession(ctx);
    states.set(ctx, { state: 'none' });
  };
  middleware.state = (ctx) => states.get(ctx) ?? { state: 'none' };
  middleware.endedReason = (ctx) => readEndedReason(sessionOf(ctx)?.[SESSION_KEY]);
  middleware.requireSignIn =
    ({ loginUrl = '/login' } = {}) =>
    async (ctx, next) => {
      const decision = guardDecision(middleware.state(ctx), loginUrl, (name) => ctx.get(name) || undefined);
      if (decision.action === 'allow') return next();
      ctx.set('Cache-Control', 'no-store');
      if (decision.action === 'redirect') {
        ctx.status = 303;
        return ctx.redirect(decision.location);
      }
      ctx.status = decision.status;
      ctx.body = decision.body;
    };
  return middleware;
}
