import {
  detachedActivityHandle,
  nodeHeaderReader,
  signInCookieWarnings,
  CLEAR_SITE_DATA_CACHE,
  endedRecord,
  endpointResponse,
  evaluateRecord,
  guardDecision,
  guardResponse,
  hasBody,
  isTracked,
  isUnavailableRecord,
  planRequestEnd,
  readEndedReason,
  recordId,
  SessionEndedError,
  routeRequest,
  SESSION_KEY,
  setUpAdapter,
  settleBeforeSave,
  storeKeyOf,
  StoreUnavailableError,
  timedOutBy,
  unavailableDecision,
  type ActiveSession,
  type ActivityHandle,
  type EndpointName,
  type EndpointResponse,
  type ExpiryReason,
  type HeaderReader,
  type IdleSessionAdapter,
  type IdleSessionOptions,
  type SessionRoute,
} from '@idle-session/core';
import { guardSessionCookies, keepValidSignature } from './cookies.js';
import type { Context, Middleware, Next } from 'koa';
import {
  conditionalStore,
  dropSession,
  hasSessionMiddleware,
  MISSING_SESSION_WARNING,
  readStored,
  replaceSession,
  restoreSession,
  sessionOf,
  sessionOptions,
  type KoaSession,
} from './session.js';

/** Options of {@link idleSession}: the core adapter options, with `isActivity` taking a Koa context. */
export type KoaIdleSessionOptions = IdleSessionOptions<Context>;

/**
 * The middleware returned by {@link idleSession}: mount it with `app.use()` after koa-session. It serves
 * `GET {prefix}/status` and `POST {prefix}/keepalive`, records activity, and ends expired sessions; the
 * methods of `IdleSessionAdapter` (from `@idle-session/core`) start and stop tracking and guard protected routes.
 */
export interface KoaIdleSessionMiddleware extends Middleware, IdleSessionAdapter<Context, Middleware> {
  /** See `IdleSessionAdapter.sessionSignal`: the platform's `AbortSignal`. */
  sessionSignal(ctx: Context): AbortSignal;
}

/** Reads a request header by lower-case name as it arrived (`ctx.get()` answers `''` for an absent one too). */
const headerOf = (ctx: Context): HeaderReader => nodeHeaderReader(ctx.req.headers);

function send(ctx: Context, answer: EndpointResponse): void {
  ctx.set(answer.headers);
  ctx.body = answer.body === null ? null : JSON.stringify(answer.body);
  // After the body: Koa turns a null body into 204, and the answer's own status (a 303 without a body) must stay.
  ctx.status = answer.status;
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
  const setup = setUpAdapter(options);
  const { resolved, policy, ledger, stateOf, setState, endRecord, learnEnded, holdRequest, sharesHolds, plan: planFor, confirmActive, report, reportKeepAlive, watch } = setup;
  const described = (ctx: Context) => ({ method: ctx.method, url: ctx.originalUrl });
  const checkCookie = signInCookieWarnings({
    proxy: "app.proxy = true, and leave koa-session's secure option unset (it then follows the request) or set it to true",
    persistent:
      'idle-session: koa-session has a numeric maxAge, so the session cookie gets Expires and outlives the browser. ' +
      'Set maxAge: "session" so that closing the browser ends the session.',
  });
  let warnedUnsendableCookie = false;
  let warnedMissingSession = false;

  /**
   * A request without koa-session's context (koa-session is not mounted before idle-session): no session.
   * Said once in the log, never a 500 per request (OWASP Error Handling Cheat Sheet).
   */
  function withoutSession(ctx: Context, next: Next, route: SessionRoute): Promise<void> | void {
    if (!warnedMissingSession) {
      warnedMissingSession = true;
      console.warn(MISSING_SESSION_WARNING);
    }
    setState(ctx, { state: 'none' });
    if (!route.endpoint) return next();
    send(ctx, endpointResponse(route.endpoint, { state: 'none' }, policy));
  }

  /**
   * After a timeout: the session keeps only why it ended (`endedRecord(reason)`; the user's data is
   * dropped). In a store, under the same key, written at once: every request still carrying the cookie
   * (sent a moment later, on any instance sharing the store) learns the reason too, with no moment at
   * which the key is missing (koa-session's `regenerate()` would delete it first). Stores that expire
   * keys keep it briefly (`storeTtlMs` of core); the next sign-in gives a new key. Cookie-only: the
   * cookie is replaced.
   */
  async function endInPlace(ctx: Context, session: KoaSession | null, reason: ExpiryReason): Promise<void> {
    const options = sessionOptions(ctx);
    const key = session?.externalKey;
    if (!session || !options.store || !key) return replaceSession(ctx, { [SESSION_KEY]: endedRecord(reason) });
    for (const field of Object.keys(session.toJSON())) delete session[field];
    session[SESSION_KEY] = endedRecord(reason);
    await options.store.set(key, session.toJSON(), options.maxAge, { rolling: options.rolling ?? false, changed: true, ctx });
  }

  /**
   * koa-session with `secure: true` on a request Koa does not see as HTTPS (plain HTTP, or a TLS proxy
   * without `app.proxy = true`): the cookies library would throw "Cannot send secure cookie over
   * unencrypted connection" while koa-session commits, a 500 on every page. As express-session does, the
   * session cookie is then not sent (the browser keeps what it has), and the adapter warns once.
   */
  function neverThrowOnSecureCookie(ctx: Context, options: { secure?: unknown; key?: unknown }): void {
    if (options.secure !== true || ctx.secure) return;
    const cookies = ctx.cookies;
    const set = cookies.set;
    const key = typeof options.key === 'string' ? options.key : 'koa.sess';
    cookies.set = function (this: typeof cookies, name: string, value?: string | null, opts?: { secure?: boolean }) {
      if ((name === key || name === `${key}.sig`) && opts?.secure === true && !ctx.secure) {
        if (!warnedUnsendableCookie) {
          warnedUnsendableCookie = true;
          console.warn(
            'idle-session: koa-session has secure: true, but a request arrived that Koa does not see as HTTPS, so its session cookie cannot be sent. ' +
              'Behind a TLS-terminating proxy, set app.proxy = true.',
          );
        }
        return this;
      }
      return set.call(this, name, value, opts as never);
    } as typeof cookies.set;
  }

  /** Before koa-session writes a changed session back: never resurrect it, never move activity backwards. */
  async function settle(ctx: Context, session: KoaSession, loaded: string): Promise<void> {
    if (JSON.stringify(session.toJSON()) === loaded) return; // unchanged: koa-session writes nothing
    // Cookie-only: nothing but the shared endings can say another instance ended it meanwhile.
    if (!sessionOptions(ctx).store && (await learnEnded(session[SESSION_KEY]))) {
      return restoreSession(session, JSON.parse(loaded) as Record<string, unknown>);
    }
    const stored = await readStored(ctx, session.externalKey);
    const decision = settleBeforeSave(session[SESSION_KEY], {
      stored: stored && { exists: stored.exists, record: stored.data?.[SESSION_KEY] },
      ledger,
      now: policy.clock.now(),
    });
    if (!decision.save) return restoreSession(session, JSON.parse(loaded) as Record<string, unknown>);
    if (decision.record !== session[SESSION_KEY]) session[SESSION_KEY] = decision.record;
    // A store that writes conditionally is written here, in one round trip, and koa-session is left with
    // nothing to do (the data is put back as loaded, whatever the outcome): it would otherwise send the
    // session's cookie again even when the write was refused, pointing the browser back at a session
    // that another instance ended, or write it a second time after a store outage.
    const store = conditionalStore(ctx, session);
    if (!store) return;
    try {
      await store.write(session.toJSON());
    } finally {
      restoreSession(session, JSON.parse(loaded) as Record<string, unknown>);
    }
  }

  /** The session store is unavailable: 503 JSON for the endpoints and data requests, the app's 503 page otherwise. */
  function unavailable(ctx: Context, endpoint: EndpointName | null, cause?: unknown): void {
    report('refused', described(ctx), null, 'store-unavailable');
    const decision = unavailableDecision(endpoint, (name) => ctx.get(name) || undefined, cause);
    if ('respond' in decision) return send(ctx, decision.respond);
    ctx.set({ 'Cache-Control': 'no-store', ...decision.error.headers });
    throw decision.error;
  }

  async function handle(ctx: Context, next: Next): Promise<void> {
    const route = routeRequest(resolved, ctx, ctx.method, ctx.path, headerOf(ctx));
    if (!hasSessionMiddleware(ctx)) return 'respond' in route ? send(ctx, route.respond) : withoutSession(ctx, next, route);
    if ('respond' in route) {
      if (route.respond.status === 403) report('refused', described(ctx), sessionOf(ctx)?.[SESSION_KEY], 'forged-keepalive');
      return send(ctx, route.respond);
    }
    const options = sessionOptions(ctx);
    const cookieName = typeof (options as { key?: unknown }).key === 'string' ? ((options as { key?: unknown }).key as string) : 'koa.sess';
    keepValidSignature(ctx, cookieName);
    guardSessionCookies(ctx, cookieName);
    neverThrowOnSecureCookie(ctx, options as { secure?: unknown; key?: unknown });
    // koa-session turns `maxAge: 'session'` into its one-day default after the first save of a request;
    // put it back so that no Set-Cookie ever carries Expires or Max-Age.
    const browserSession = options.maxAge === 'session';
    const session = sessionOf(ctx);
    const record = session?.[SESSION_KEY];
    if (isUnavailableRecord(record)) return unavailable(ctx, route.endpoint);
    // A deep snapshot (as JSON): an in-place change to nested data must count as a change. The status
    // endpoint runs no app code and changes nothing, so it needs none.
    const loaded = session && record !== undefined && route.endpoint !== 'status' ? JSON.stringify(session.toJSON()) : null;
    try {
      // A cookie-only session lives in the cookie, so no store can delete it: ask whether any instance ended it.
      if (!options.store) await learnEnded(record);
      const plan = await planFor(record, route);
      // Ended by a timeout (found now, or by another request of the session a moment ago): every request
      // that still carries the session learns why.
      const timedOut = timedOutBy(plan);
      if (plan.expire) {
        report('expired', described(ctx), record, plan.expire.reason);
        await endRecord(record, plan.expire.reason);
      } else if (plan.discard) {
        report('refused', described(ctx), record, 'ended-session');
      }
      if (timedOut) {
        await endInPlace(ctx, session, timedOut.reason);
      } else if (plan.discard) {
        await replaceSession(ctx, {});
      } else if (plan.write && session) {
        session[SESSION_KEY] = plan.write;
      }
      setState(ctx, plan.evaluation);
      // A request that counts as activity holds its session active until the app's middleware is done (a
      // slow upload is activity for as long as it runs; a streamed body sent afterwards is not), and its
      // end is activity too: last-activity is written then, when `touchInterval` allows.
      const hold =
        !route.endpoint && route.activity !== 'passive' && plan.evaluation.state === 'active' && session
          ? holdRequest(session[SESSION_KEY], sharesHolds ? { storeKey: storeKeyOf(options.store, session.externalKey), announce: hasBody(ctx.req.headers) } : undefined)
          : null;
      // A store that lets sessions leave at their deadline by itself (MemoryStore with a policy) keeps this
      // one while the request runs: a slow upload must not lose its session midway.
      const key = session?.externalKey;
      const release = hold && key && typeof options.store?.idleSessionHold === 'function' ? options.store.idleSessionHold(key) : null;
      try {
        if (route.endpoint === 'keepalive') reportKeepAlive(described(ctx), plan, plan.write ?? record);
        if (route.endpoint) send(ctx, endpointResponse(route.endpoint, plan.evaluation, policy));
        else await next();
      } finally {
        if (hold) {
          release?.();
          hold.end();
          const current = sessionOf(ctx);
          const write = current && planRequestEnd(current[SESSION_KEY], policy, policy.clock.now(), ledger);
          if (write) current[SESSION_KEY] = write;
        }
        if (browserSession) options.maxAge = 'session';
        try {
          if (session && loaded && sessionOf(ctx) === session) await settle(ctx, session, loaded);
        } finally {
          hold?.settled(); // a store that writes conditionally was written in settle(); any other is written right after
        }
      }
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      if (session && loaded && sessionOf(ctx) === session) restoreSession(session, JSON.parse(loaded) as Record<string, unknown>);
      unavailable(ctx, route.endpoint, error);
    }
  }

  const middleware = ((ctx: Context, next: Next) => handle(ctx, next)) as KoaIdleSessionMiddleware;
  Object.defineProperty(middleware, 'policy', { value: policy, enumerable: true });

  middleware.signIn = async (ctx, limits) => {
    const record = setup.signInRecord(limits); // validates first: an invalid limit changes nothing
    const options = sessionOptions(ctx);
    const browserSession = options.maxAge === 'session';
    await endRecord(sessionOf(ctx)?.[SESSION_KEY]);
    await replaceSession(ctx, { [SESSION_KEY]: record });
    report('signed-in', described(ctx), record);
    if (browserSession) options.maxAge = 'session';
    setState(ctx, evaluateRecord(record, policy, policy.clock.now()));
    const secureCookie = (options as { secure?: unknown }).secure === true || ((options as { secure?: unknown }).secure === undefined && ctx.secure);
    checkCookie({ secure: secureCookie, persistent: typeof options.maxAge === 'number', https: ctx.secure, header: headerOf(ctx) });
  };
  middleware.signOut = async (ctx, { clearSiteData = false } = {}) => {
    const ended = sessionOf(ctx)?.[SESSION_KEY];
    await endRecord(ended);
    if (isTracked(ended)) report('signed-out', described(ctx), ended);
    dropSession(ctx); // koa-session deletes the store's copy and the cookie, with its attributes
    if (clearSiteData) ctx.set('Clear-Site-Data', CLEAR_SITE_DATA_CACHE);
    setState(ctx, { state: 'none' });
  };
  middleware.sessionSignal = (ctx) => {
    const session = sessionOf(ctx);
    const { signal, stop } = watch.watch(session?.[SESSION_KEY], storeKeyOf(sessionOptions(ctx).store, session?.externalKey));
    ctx.res.once('close', stop);
    return signal as AbortSignal;
  };
  middleware.confirmActive = (ctx) => confirmActive(sessionOf(ctx)?.[SESSION_KEY]);
  middleware.setLimits = async (ctx, limits, options) => {
    const session = sessionOf(ctx);
    const changed = await setup.changeLimits(session?.[SESSION_KEY], limits, options);
    session![SESSION_KEY] = changed; // koa-session writes it at the end of the request
    setState(ctx, evaluateRecord(changed, policy, policy.clock.now()));
  };
  middleware.recordActivity = async (ctx) => {
    const session = sessionOf(ctx);
    const plan = await setup.recordActivity(session?.[SESSION_KEY]);
    if (plan.write) session![SESSION_KEY] = plan.write; // written at the end of the request
    setState(ctx, plan.evaluation);
    return plan.evaluation;
  };
  middleware.activityHandle = (ctx): ActivityHandle => {
    const options = sessionOptions(ctx);
    const session = sessionOf(ctx);
    const store = options.store;
    const key = session?.externalKey;
    const sessionId = recordId(session?.[SESSION_KEY]);
    const request = described(ctx);
    const storeOptions = { rolling: options.rolling ?? false, ctx };
    if (store) {
      // Read and written in the store, as the other adapters do (core's detachedActivityHandle).
      const entry = key
        ? {
            read: async () => ((await store.get(key, options.maxAge, storeOptions)) as Record<string, unknown> | null | undefined) ?? null,
            write: async (data: Record<string, unknown>) => void (await store.set(key, data, options.maxAge, { ...storeOptions, changed: true })),
          }
        : null;
      return detachedActivityHandle(setup, sessionId, request, entry);
    }
    // Cookie-only: the handle's own copy of the record; its activity is kept in this process's ledger.
    let copy: unknown = session?.[SESSION_KEY];
    return {
      sessionId,
      async touch(): Promise<ActiveSession> {
        if (sessionId === null) throw new SessionEndedError('none');
        const outcome = await setup.handleActivity(copy, sessionId, request);
        if (outcome.ended !== null) throw new SessionEndedError(outcome.ended);
        if (outcome.plan!.write) copy = outcome.plan!.write; // noted in the ledger: the session's next request here writes it into the cookie
        return outcome.plan!.evaluation as ActiveSession;
      },
    };
  };
  middleware.state = stateOf;
  middleware.endedReason = (ctx) => readEndedReason(sessionOf(ctx)?.[SESSION_KEY]);
  middleware.requireSignIn =
    ({ loginUrl = '/login', returnTo = true } = {}) =>
    async (ctx, next) => {
      const back = returnTo && (ctx.method === 'GET' || ctx.method === 'HEAD') ? ctx.originalUrl : null;
      const decision = guardDecision(middleware.state(ctx), loginUrl, headerOf(ctx), back);
      if (decision.action === 'allow') return next();
      send(ctx, guardResponse(decision));
    };
  return middleware;
}
