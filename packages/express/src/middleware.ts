import {
  arrivedOverHttps,
  CLEAR_SITE_DATA_CACHE,
  endedRecord,
  endpointResponse,
  evaluateRecord,
  guardDecision,
  guardResponse,
  hasBody,
  insecureCookieWarning,
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
  type IdleSessionAdapter,
  type IdleSessionOptions,
  type SessionRoute,
} from '@idle-session/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import onHeaders from 'on-headers';
import {
  checkBeforeSave,
  destroy,
  endInPlace,
  MISSING_SESSION_WARNING,
  neverSave,
  regenerate,
  requireSession,
  save,
  sessionCookie,
  storeGet,
  storeSet,
  storeWritesConditionally,
  type ExpressSession,
} from './session.js';

/** Options of {@link idleSession}: the core adapter options, with `isActivity` taking an Express request. */
export type ExpressIdleSessionOptions = IdleSessionOptions<Request>;

/**
 * The middleware returned by {@link idleSession}: mount it with `app.use()` after express-session. It
 * serves `GET {prefix}/status` and `POST {prefix}/keepalive`, records activity, and ends expired
 * sessions; the methods of `IdleSessionAdapter` (from `@idle-session/core`) start and stop tracking and
 * guard protected routes.
 */
export interface IdleSessionMiddleware extends RequestHandler, IdleSessionAdapter<Request, RequestHandler> {
  /** See `IdleSessionAdapter.sessionSignal`: the platform's `AbortSignal`. */
  sessionSignal(req: Request): AbortSignal;
}

/** Writes an endpoint's answer as it is: no ETag, so never a 304 (the status must always be fresh). */
function send(res: Response, answer: EndpointResponse, method: string): void {
  res.status(answer.status).set(answer.headers);
  if (answer.body === null) return void res.set('Content-Length', '0').end(); // as Koa frames it: no chunked empty body
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
  const setup = setUpAdapter(options);
  const { resolved, policy, ledger, stateOf, setState, endRecord, holdRequest, sharesHolds, plan: planFor, confirmActive, report, reportKeepAlive, watch } = setup;
  const described = (req: Request) => ({ method: req.method, url: req.originalUrl });
  const sessionOf = (req: Request) => (req as Request & { session?: ExpressSession }).session;
  const recordOf = (req: Request) => sessionOf(req)?.[SESSION_KEY];
  const storeKeyOfRequest = (req: Request) => storeKeyOf((req as unknown as { sessionStore?: unknown }).sessionStore, req.sessionID);
  let warnedPersistentCookie = false;
  let warnedInsecureCookie = false;
  let warnedMissingSession = false;

  /** Before express-session writes this session back: never resurrect it, never move activity backwards. */
  function protect(req: Request, session: ExpressSession): void {
    checkBeforeSave(req, session, (stored) => {
      const decision = settleBeforeSave(session[SESSION_KEY], {
        stored: { exists: stored !== null, record: stored?.[SESSION_KEY] },
        ledger,
        now: policy.clock.now(),
      });
      return decision.save ? { save: true, apply: () => void (session[SESSION_KEY] = decision.record) } : { save: false };
    });
  }

  /** The session store is unavailable: 503 JSON for the endpoints and data requests, the app's 503 page otherwise. */
  function unavailable(req: Request, res: Response, next: NextFunction, endpoint: EndpointName | null, cause?: unknown): void {
    report('refused', described(req), null, 'store-unavailable');
    const session = sessionOf(req);
    if (session) neverSave(session); // nothing read, so nothing to write back
    const decision = unavailableDecision(endpoint, (name) => req.get(name), cause);
    if ('respond' in decision) return send(res, decision.respond, req.method);
    res.set({ 'Cache-Control': 'no-store', ...decision.error.headers });
    next(decision.error);
  }

  async function handle(req: Request, res: Response, next: NextFunction): Promise<void> {
    const route = routeRequest(resolved, req, req.method, req.path, (name) => req.get(name));
    if ('respond' in route) {
      if (route.respond.status === 403) report('refused', described(req), recordOf(req), 'forged-keepalive');
      return send(res, route.respond, req.method);
    }
    const session = sessionOf(req);
    if (!session) return withoutSession(req, res, next, route);
    if (isUnavailableRecord(session[SESSION_KEY])) return unavailable(req, res, next, route.endpoint);
    try {
      if (await evaluate(req, res, session, route)) next();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      unavailable(req, res, next, route.endpoint, error);
    }
  }

  /**
   * A request express-session passed on without a session: outside its `cookie.path` (it skips those on
   * purpose), an `OPTIONS *` request, or while its store is disconnected. It has no session: the app's
   * routes see state `none`, the status endpoint answers `{"state":"none"}` and a keep-alive 401, never a
   * 500 (OWASP Error Handling Cheat Sheet). If express-session is not mounted at all, every request
   * looks like this: that is said once, in the log.
   */
  function withoutSession(req: Request, res: Response, next: NextFunction, route: SessionRoute): void {
    if (!warnedMissingSession) {
      warnedMissingSession = true;
      console.warn(MISSING_SESSION_WARNING);
    }
    setState(req, { state: 'none' });
    if (!route.endpoint) return next();
    send(res, endpointResponse(route.endpoint, { state: 'none' }, policy), req.method);
  }

  /**
   * A request that counts as activity holds its session active until the app starts answering (the
   * response's headers, or `res.end()`), or the connection closes: a slow upload is activity for as long
   * as it runs, an event stream or a download once answering is not. Its end is activity too: the
   * session's last-activity is written then (when `touchInterval` allows), before express-session saves.
   */
  function holdWhileRunning(req: Request, res: Response, record: unknown, wrote: boolean): void {
    const hold = holdRequest(
      record,
      sharesHolds ? { storeKey: storeKeyOfRequest(req), announce: hasBody(req.headers) } : undefined,
    );
    let running = true;
    /** Ends the hold; returns whether the session has a write of activity that is not saved yet. */
    const finish = (): boolean => {
      if (!running) return false;
      running = false;
      hold.end();
      const session = sessionOf(req);
      if (!session) return false; // signed out meanwhile
      const write = planRequestEnd(session[SESSION_KEY], policy, policy.clock.now(), ledger);
      if (write) session[SESSION_KEY] = write;
      return wrote || write !== null;
    };
    const end = res.end;
    // Wrapped after express-session's own wrapper, so this runs first and the write is in what it saves.
    res.end = function (this: Response, ...args: unknown[]) {
      finish(); // express-session saves right after
      return (end as (...rest: unknown[]) => Response).apply(this, args);
    } as Response['end'];
    // Headers before res.end(): a response that streams (an event stream, a download) may stay open for
    // hours, and express-session saves only at its end: save the session's activity now.
    onHeaders(res, () => {
      const session = sessionOf(req);
      if (finish() && session) save(session).catch(() => {}); // express-session tries again at the end
    });
    // express-session ends the response only once the session is saved: the write is in the store by now.
    res.once('close', () => {
      finish();
      hold.settled();
    });
  }

  /** Applies the session's plan for this request; answers an endpoint, or returns `true` to pass the request on. */
  async function evaluate(req: Request, res: Response, session: ExpressSession, route: SessionRoute): Promise<boolean> {
    const record = session[SESSION_KEY];
    const plan = await planFor(record, route);
    // A store that writes conditionally checks in its own write; any other is re-read before the write.
    if (record !== undefined && !storeWritesConditionally(req)) protect(req, session);
    // Ended by a timeout (found now, or by another request of the session a moment ago): every request that
    // still carries the session learns why, so the old session's key keeps only the small marker of it.
    const timedOut = timedOutBy(plan);
    if (plan.expire) {
      report('expired', described(req), record, plan.expire.reason);
      await endRecord(record, plan.expire.reason);
    } else if (plan.discard) {
      report('refused', described(req), record, 'ended-session');
    }
    if (timedOut) {
      await endInPlace(session, timedOut.reason); // only the reason stays, under the same key
    } else if (plan.discard) {
      await regenerate(session); // a fresh anonymous session, so app code still finds req.session
    } else if (plan.write) {
      session[SESSION_KEY] = plan.write;
    }
    setState(req, plan.evaluation);
    if (!route.endpoint) {
      if (route.activity !== 'passive' && plan.evaluation.state === 'active') holdWhileRunning(req, res, requireSession(req)[SESSION_KEY], plan.write !== null);
      return true;
    }
    // A keep-alive says "extended" only once the store has it; express-session then has nothing left to save.
    if (plan.write) await save(requireSession(req));
    if (route.endpoint === 'keepalive') reportKeepAlive(described(req), plan, requireSession(req)[SESSION_KEY]);
    send(res, endpointResponse(route.endpoint, plan.evaluation, policy), req.method);
    return false;
  }

  const middleware = ((req: Request, res: Response, next: NextFunction) => {
    handle(req, res, next).catch(next);
  }) as IdleSessionMiddleware;
  Object.defineProperty(middleware, 'policy', { value: policy, enumerable: true });

  /**
   * Runs a step that changes the session in the store; when the store is unavailable, the session
   * express-session holds afterwards is never saved (it would fail again after the answer, and Express
   * would log it as an unhandled error), and the `StoreUnavailableError` goes to the app.
   */
  async function storeStep(req: Request, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      const session = sessionOf(req);
      if (error instanceof StoreUnavailableError && session) neverSave(session);
      throw error;
    }
  }

  middleware.signIn = async (req, limits) => {
    const record = setup.signInRecord(limits); // validates first: an invalid limit changes nothing
    const previous = requireSession(req);
    await storeStep(req, async () => {
      await endRecord(previous[SESSION_KEY]);
      await regenerate(previous);
    });
    const session = requireSession(req);
    session[SESSION_KEY] = record;
    report('signed-in', described(req), session[SESSION_KEY]);
    setState(req, evaluateRecord(session[SESSION_KEY], policy, policy.clock.now()));
    if (!warnedInsecureCookie && session.cookie.secure !== true && arrivedOverHttps(req.secure, (name) => req.get(name))) {
      warnedInsecureCookie = true;
      console.warn(insecureCookieWarning("app.set('trust proxy', 1) (the number of proxies in front), and express-session's cookie.secure: 'auto' or true"));
    }
    if (!warnedPersistentCookie && (session.cookie.originalMaxAge != null || session.cookie.expires)) {
      warnedPersistentCookie = true;
      console.warn(
        'idle-session: the session cookie has a Max-Age or Expires, so it outlives the browser. ' +
          'Leave cookie.maxAge and cookie.expires unset in express-session so that closing the browser ends the session.',
      );
    }
  };
  middleware.signOut = async (req, { clearSiteData = false } = {}) => {
    const session = sessionOf(req);
    const ended = session?.[SESSION_KEY];
    if (session) {
      const cookie = sessionCookie(req, session);
      await storeStep(req, async () => {
        await endRecord(session[SESSION_KEY]);
        await destroy(session);
      });
      // express-session leaves the dead cookie in the browser: delete it, as koa-session does.
      if (cookie) req.res?.clearCookie(cookie.name, cookie.options);
    }
    if (isTracked(ended)) report('signed-out', described(req), ended);
    if (clearSiteData) req.res?.set('Clear-Site-Data', CLEAR_SITE_DATA_CACHE);
    setState(req, { state: 'none' });
  };
  middleware.sessionSignal = (req) => {
    const { signal, stop } = watch.watch(recordOf(req), storeKeyOfRequest(req));
    req.res?.once('close', stop);
    return signal as AbortSignal;
  };
  middleware.confirmActive = (req) => confirmActive(recordOf(req));
  middleware.setLimits = async (req, limits, options) => {
    const changed = await setup.changeLimits(recordOf(req), limits, options);
    requireSession(req)[SESSION_KEY] = changed; // express-session saves it at the end of the request
    setState(req, evaluateRecord(changed, policy, policy.clock.now()));
  };
  middleware.recordActivity = async (req) => {
    const plan = await setup.recordActivity(recordOf(req));
    if (plan.write) requireSession(req)[SESSION_KEY] = plan.write; // saved at the end of the request
    setState(req, plan.evaluation);
    return plan.evaluation;
  };
  middleware.activityHandle = (req): ActivityHandle => {
    const store = (req as unknown as { sessionStore?: unknown }).sessionStore;
    const sid = req.sessionID;
    const sessionId = recordId(recordOf(req));
    const request = described(req);
    return {
      sessionId,
      async touch(): Promise<ActiveSession> {
        if (sessionId === null || !store || sid === undefined) throw new SessionEndedError('none');
        const data = await storeGet(store, sid);
        if (isUnavailableRecord(data?.[SESSION_KEY])) throw new StoreUnavailableError();
        const outcome = await setup.handleActivity(data?.[SESSION_KEY], sessionId, request);
        if (outcome.expired && data && outcome.ended && outcome.ended !== 'signed-out' && outcome.ended !== 'none') {
          // As a request that finds it expired: the same key keeps only why it ended.
          await storeSet(store, sid, { cookie: data.cookie, [SESSION_KEY]: endedRecord(outcome.ended) });
        }
        if (outcome.ended !== null) throw new SessionEndedError(outcome.ended);
        const plan = outcome.plan!;
        if (plan.write && data) {
          // Checked right before the write: a sign-out here since the read is never undone.
          if (ledger.hasEnded(sessionId, policy.clock.now())) throw new SessionEndedError(ledger.ending(sessionId, policy.clock.now()) ?? 'signed-out');
          await storeSet(store, sid, { ...data, [SESSION_KEY]: plan.write });
        }
        return plan.evaluation as ActiveSession;
      },
    };
  };
  middleware.state = stateOf;
  middleware.endedReason = (req) => readEndedReason(recordOf(req));
  middleware.requireSignIn =
    ({ loginUrl = '/login', returnTo = true } = {}) =>
    (req, res, next) => {
      const back = returnTo && (req.method === 'GET' || req.method === 'HEAD') ? req.originalUrl : null;
      const decision = guardDecision(middleware.state(req), loginUrl, (name) => req.get(name), back);
      if (decision.action === 'allow') return next();
      send(res, guardResponse(decision), req.method);
    };
  return middleware;
}
