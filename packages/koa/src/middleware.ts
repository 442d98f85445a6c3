import {
  CLEAR_SITE_DATA_CACHE,
  createSessionEngine,
  endedRecord,
  matchEndpoint,
  nodeHeaderReader,
  recordId,
  SessionEndedError,
  SESSION_KEY,
  settleBeforeSave,
  signInCookieWarnings,
  storeKeyOf,
  StoreUnavailableError,
  writesConditionally,
  type ActiveSession,
  type ActivityHandle,
  type BoundSession,
  type EndpointResponse,
  type ExpiryReason,
  type IdleSessionAdapter,
  type IdleSessionOptions,
  type RequestOutcome,
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
  type KoaSessionStore,
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

function send(ctx: Context, answer: EndpointResponse): void {
  ctx.set(answer.headers);
  ctx.body = answer.body === null ? null : JSON.stringify(answer.body);
  // After the body: Koa turns a null body into 204, and the answer's own status (a 303 without a body) must stay.
  ctx.status = answer.status;
}

/**
 * A koa-session session seen as core's `BoundSession`, with the snapshot of its data as loaded (`null`: none
 * taken). One per session object (a class, so one allocation per request), kept on it under a symbol (cheaper
 * than a WeakMap, an ephemeron table; koa-session's `toJSON` and its hash read its own keys only).
 */
class KoaView implements BoundSession {
  readonly loaded: string | null;
  constructor(
    private readonly ctx: Context,
    readonly session: KoaSession,
    snapshot: boolean,
  ) {
    this.loaded = snapshot ? JSON.stringify(session.toJSON()) : null;
  }
  get record(): unknown {
    return this.session[SESSION_KEY];
  }
  setRecord(record: unknown): void {
    this.session[SESSION_KEY] = record;
  }
  get storeKey(): string | undefined {
    return storeKeyOf(sessionOptions(this.ctx).store, this.session.externalKey);
  }
  get writesConditionally(): boolean {
    return writesConditionally(sessionOptions(this.ctx).store);
  }
  get cookieOnly(): boolean {
    return !sessionOptions(this.ctx).store;
  }
  /** Nothing to do now: koa-session writes the session after the app's middleware, before the answer goes out. */
  async save(): Promise<void> {}
  /**
   * After a timeout, in a store: the same key keeps only why the session ended, written at once, with no
   * moment at which the key is missing (koa-session's `regenerate()` would delete it first). Cookie-only: the
   * cookie is replaced.
   */
  async endInPlace(reason: ExpiryReason): Promise<void> {
    const { ctx, session } = this;
    const options = sessionOptions(ctx);
    const key = session.externalKey;
    if (!options.store || !key) return replaceSession(ctx, { [SESSION_KEY]: endedRecord(reason) });
    for (const field of Object.keys(session.toJSON())) delete session[field]; // its data, not koa-session's own fields
    session[SESSION_KEY] = endedRecord(reason);
    await options.store.set(key, session.toJSON(), options.maxAge, { rolling: options.rolling ?? false, changed: true, ctx });
  }
  renew(record?: unknown): Promise<void> {
    return replaceSession(this.ctx, record === undefined ? {} : { [SESSION_KEY]: record });
  }
  /** koa-session deletes the store's copy and the cookie, with its attributes. */
  async destroy(): Promise<void> {
    dropSession(this.ctx);
  }
  neverSave(): void {
    if (this.loaded !== null && sessionOf(this.ctx) === this.session) restoreSession(this.session, JSON.parse(this.loaded) as Record<string, unknown>);
  }
  /** See `settle()` in the middleware: koa-session's write is checked after the app's middleware. */
  checkBeforeSave(): void {}
}
const VIEW = Symbol('idle-session view');

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
  /** The request's session as core's `BoundSession`; `null` without koa-session (not mounted before idle-session). */
  function bound(ctx: Context): KoaView | null {
    if (!hasSessionMiddleware(ctx)) return null;
    const session = sessionOf(ctx) as (KoaSession & { [VIEW]?: KoaView }) | null;
    if (!session) return null;
    // A deep snapshot (as JSON): an in-place change to nested data must count as a change. The status
    // endpoint runs no app code and changes nothing, so it needs none.
    return (session[VIEW] ??= new KoaView(ctx, session, session[SESSION_KEY] !== undefined && matchEndpoint(engine.setup.resolved.prefix, ctx.path) !== 'status'));
  }
  const engine = createSessionEngine<Context>(options, {
    facts: (ctx) => ({ method: ctx.method, url: ctx.originalUrl, path: ctx.path, header: nodeHeaderReader(ctx.req.headers), headers: ctx.req.headers }),
    session: bound,
    detached(ctx) {
      const options = sessionOptions(ctx);
      const { store, maxAge } = options;
      const key = sessionOf(ctx)?.externalKey;
      if (!store || !key) return null;
      const storeOptions = { rolling: options.rolling ?? false, ctx };
      return {
        read: async () => ((await store.get(key, maxAge, storeOptions)) as Record<string, unknown> | null | undefined) ?? null,
        write: async (data) => void (await store.set(key, data, maxAge, { ...storeOptions, changed: true })),
      };
    },
    missingSessionWarning: MISSING_SESSION_WARNING,
    missingSessionError:
      'idle-session: ctx.session is missing. Mount koa-session before idle-session: app.use(session({ maxAge: "session", ... }, app)); app.use(idleSession({ ... })).',
  });
  const { setup, policy } = engine;
  const { ledger, learnEnded } = setup;
  const checkCookie = signInCookieWarnings({
    proxy: "app.proxy = true, and leave koa-session's secure option unset (it then follows the request) or set it to true",
    persistent:
      'idle-session: koa-session has a numeric maxAge, so the session cookie gets Expires and outlives the browser. ' +
      'Set maxAge: "session" so that closing the browser ends the session.',
  });
  let warnedUnsendableCookie = false;

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

  /** Does what the engine said; a store outage found afterwards (in `settle`) gets the unavailable answer. */
  async function carryOut(ctx: Context, next: Next, outcome: RequestOutcome, view: KoaView | null, store: KoaSessionStore | undefined): Promise<void> {
    if (outcome.action === 'fail') {
      ctx.set(outcome.headers);
      throw outcome.error;
    }
    if (outcome.action === 'respond') return send(ctx, outcome.answer);
    const { running } = outcome;
    // A store that lets sessions leave at their deadline by itself (MemoryStore with a policy) keeps this
    // one while the request runs: a slow upload must not lose its session midway.
    const key = view?.session.externalKey;
    const release = running && key && typeof store?.idleSessionHold === 'function' ? store.idleSessionHold(key) : null;
    try {
      await next();
    } finally {
      release?.();
      // The app's middleware is done: a streamed body sent afterwards is not activity; the end of the request is.
      running?.finish();
    }
  }

  async function handle(ctx: Context, next: Next): Promise<void> {
    const options = hasSessionMiddleware(ctx) ? sessionOptions(ctx) : null;
    if (options) {
      const cookieName = typeof (options as { key?: unknown }).key === 'string' ? ((options as { key?: unknown }).key as string) : 'koa.sess';
      keepValidSignature(ctx, cookieName);
      guardSessionCookies(ctx, cookieName);
      neverThrowOnSecureCookie(ctx, options as { secure?: unknown; key?: unknown });
    }
    // koa-session turns `maxAge: 'session'` into its one-day default after the first save of a request;
    // put it back so that no Set-Cookie ever carries Expires or Max-Age.
    const browserSession = options?.maxAge === 'session';
    const view = bound(ctx);
    const outcome = await engine.handle(ctx);
    let running = outcome.action === 'pass' ? outcome.running : null;
    try {
      try {
        await carryOut(ctx, next, outcome, view, options?.store);
      } finally {
        if (browserSession) options!.maxAge = 'session';
        if (outcome.action !== 'fail' && view?.loaded && sessionOf(ctx) === view.session) await settle(ctx, view.session, view.loaded);
      }
    } catch (error) {
      if (!(error instanceof StoreUnavailableError) || outcome.action === 'fail') throw error;
      view?.neverSave();
      const found = matchEndpoint(setup.resolved.prefix, ctx.path);
      const late = engine.unavailable(ctx, found === 'status' || found === 'keepalive' ? found : null, error);
      if (late.action === 'respond') return send(ctx, late.answer);
      if (late.action === 'fail') {
        ctx.set(late.headers);
        throw late.error;
      }
    } finally {
      running?.settled(); // a store that writes conditionally was written in settle(); any other is written right after
      running = null;
    }
  }

  const middleware = ((ctx: Context, next: Next) => handle(ctx, next)) as KoaIdleSessionMiddleware;
  Object.assign(middleware, engine.methods);

  middleware.signIn = async (ctx, limits) => {
    const options = sessionOptions(ctx);
    const browserSession = options.maxAge === 'session';
    await engine.signIn(ctx, limits);
    if (browserSession) options.maxAge = 'session';
    const secure = (options as { secure?: unknown }).secure;
    checkCookie({ secure: secure === true || (secure === undefined && ctx.secure), persistent: typeof options.maxAge === 'number', https: ctx.secure, header: nodeHeaderReader(ctx.req.headers) });
  };
  middleware.signOut = async (ctx, { clearSiteData = false } = {}) => {
    await engine.signOut(ctx);
    if (clearSiteData) ctx.set('Clear-Site-Data', CLEAR_SITE_DATA_CACHE);
  };
  middleware.sessionSignal = (ctx) => {
    const { signal, stop } = engine.sessionSignal(ctx);
    ctx.res.once('close', stop);
    return signal as AbortSignal;
  };
  middleware.activityHandle = (ctx): ActivityHandle => {
    if (sessionOptions(ctx).store) return engine.activityHandle(ctx); // read and written in the store
    // Cookie-only: the handle's own copy of the record; its activity is kept in this process's ledger.
    let copy: unknown = sessionOf(ctx)?.[SESSION_KEY];
    const sessionId = recordId(copy);
    const request = { method: ctx.method, url: ctx.originalUrl };
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
  middleware.requireSignIn = (guardOptions) => async (ctx, next) => {
    const answer = engine.guard(ctx, guardOptions);
    if (answer) send(ctx, answer);
    else await next();
  };
  return middleware;
}
