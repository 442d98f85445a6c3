import {
  CLEAR_SITE_DATA_CACHE,
  createSessionEngine,
  keepOnlyReason,
  SESSION_KEY,
  signInCookieWarnings,
  storeEntry,
  storeKeyOf,
  type BoundSession,
  type EndpointResponse,
  type ExpiryReason,
  type IdleSessionAdapter,
  type IdleSessionOptions,
  type RequestFacts,
} from '@idle-session/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import onHeaders from 'on-headers';
import {
  checkBeforeSave,
  destroy,
  MISSING_SESSION_WARNING,
  MISSING_SESSION_ERROR,
  neverSave,
  regenerate,
  save,
  sessionCookie,
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

type WithStore = Request & { session?: ExpressSession; sessionStore?: unknown };

/**
 * express-session's session of a request, seen as core's `BoundSession`: one view per session object (a
 * class, so one allocation per request), kept on it under a symbol (cheaper than a WeakMap, an ephemeron
 * table; JSON and express-session ignore it).
 */
class ExpressView implements BoundSession {
  constructor(
    private readonly req: Request,
    private readonly session: ExpressSession,
  ) {}
  get record(): unknown {
    return this.session[SESSION_KEY];
  }
  setRecord(record: unknown): void {
    this.session[SESSION_KEY] = record;
  }
  get storeKey(): string | undefined {
    return storeKeyOf((this.req as WithStore).sessionStore, this.req.sessionID);
  }
  get writesConditionally(): boolean {
    return storeWritesConditionally(this.req);
  }
  save(): Promise<void> {
    return save(this.session);
  }
  endInPlace(reason: ExpiryReason): Promise<void> {
    keepOnlyReason(this.session, reason);
    return save(this.session);
  }
  async renew(record?: unknown): Promise<void> {
    await regenerate(this.session);
    if (record !== undefined) (this.req as WithStore).session![SESSION_KEY] = record;
  }
  destroy(): Promise<void> {
    return destroy(this.session);
  }
  neverSave(): void {
    neverSave(this.session);
  }
  checkBeforeSave(decide: Parameters<BoundSession['checkBeforeSave']>[0]): void {
    checkBeforeSave(this.req, this.session, decide);
  }
}
const VIEW = Symbol('idle-session view');
function bound(req: Request): BoundSession | null {
  const session = (req as WithStore).session as (ExpressSession & { [VIEW]?: ExpressView }) | undefined;
  if (!session) return null;
  return (session[VIEW] ??= new ExpressView(req, session));
}

function facts(req: Request): RequestFacts {
  return { method: req.method, url: req.originalUrl, path: req.path, header: (name) => req.get(name), headers: req.headers };
}

/**
 * Creates the Express middleware for server-side idle and absolute session timeouts, on top of
 * express-session (Express 4 and 5). The request flow is core's `createSessionEngine`; this is the glue.
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
  const engine = createSessionEngine(options, {
    facts,
    session: bound,
    detached(req) {
      const store = (req as WithStore).sessionStore;
      const sid = req.sessionID;
      if (!store || sid === undefined) return null;
      return storeEntry(store, sid);
    },
    missingSessionWarning: MISSING_SESSION_WARNING,
    missingSessionError: MISSING_SESSION_ERROR,
  });
  const checkCookie = signInCookieWarnings({
    proxy: "app.set('trust proxy', 1) (the number of proxies in front), and express-session's cookie.secure: 'auto' or true",
    persistent:
      'idle-session: the session cookie has a Max-Age or Expires, so it outlives the browser. ' +
      'Leave cookie.maxAge and cookie.expires unset in express-session so that closing the browser ends the session.',
  });

  async function handle(req: Request, res: Response, next: NextFunction): Promise<void> {
    const outcome = await engine.handle(req);
    if (outcome.action === 'respond') return send(res, outcome.answer, req.method);
    if (outcome.action === 'fail') {
      res.set(outcome.headers);
      return next(outcome.error);
    }
    const running = outcome.running;
    if (running) {
      // A slow upload is activity for as long as it runs; an event stream or a download once answering is
      // not. Wrapped after express-session's own res.end, so the last write is in what it saves.
      const end = res.end;
      res.end = function (this: Response, ...args: unknown[]) {
        running.finish();
        return (end as (...rest: unknown[]) => Response).apply(this, args);
      } as Response['end'];
      // Headers before res.end(): a streamed answer may stay open for hours, so save its activity now.
      onHeaders(res, () => {
        const session = (req as WithStore).session;
        if (running.finish() && session) save(session).catch(() => {}); // express-session tries again at the end
      });
      // express-session ends the response only once the session is saved: the write is in the store by now.
      res.once('close', () => {
        running.finish();
        running.settled();
      });
    }
    next();
  }

  const middleware = ((req: Request, res: Response, next: NextFunction) => {
    handle(req, res, next).catch(next);
  }) as IdleSessionMiddleware;
  Object.assign(middleware, engine.methods);

  middleware.signIn = async (req, limits) => {
    await engine.signIn(req, limits);
    const cookie = (req as WithStore).session!.cookie;
    checkCookie({ secure: cookie.secure === true, persistent: cookie.originalMaxAge != null || !!cookie.expires, https: req.secure, header: (name) => req.get(name) });
  };
  middleware.signOut = async (req, { clearSiteData = false } = {}) => {
    const session = (req as WithStore).session;
    const cookie = session ? sessionCookie(req, session) : null;
    await engine.signOut(req);
    // express-session leaves the dead cookie in the browser: delete it, as koa-session does.
    if (cookie) req.res?.clearCookie(cookie.name, cookie.options);
    if (clearSiteData) req.res?.set('Clear-Site-Data', CLEAR_SITE_DATA_CACHE);
  };
  middleware.sessionSignal = (req) => {
    const { signal, stop } = engine.sessionSignal(req);
    req.res?.once('close', stop);
    return signal as AbortSignal;
  };
  middleware.requireSignIn = (guardOptions) => (req, res, next) => {
    const answer = engine.guard(req, guardOptions);
    if (answer) send(res, answer, req.method);
    else next();
  };
  return middleware;
}
