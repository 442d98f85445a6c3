import {
  ENDPOINT_METHODS,
  forbiddenResponse,
  keepAliveResponse,
  matchEndpoint,
  methodResponse,
  statusResponse,
  unknownEndpointResponse,
  type EndpointName,
  type EndpointResponse,
} from './endpoints.js';
import type { ActiveSession, SessionEvaluation } from './evaluate.js';
import { changeLimits, sessionPolicy, signInRecord, type SessionLimits, type SetLimitsOptions } from './limits.js';
import { checkKeepAliveOrigin, namedSessionId } from './guard.js';
import { wantsJson, type HeaderReader } from './guard-route.js';
import { isSpeculative } from './speculative.js';
import { SessionLedger } from './ledger.js';
import { resolveOptions, type IdleSessionOptions, type ResolvedOptions } from './options.js';
import type { IdlePolicy } from './policy.js';
import { isTracked, readEndedReason, recordId, type ExpiryReason, type SessionRecord } from './record.js';
import { auditPath, emitAudit, type AuditEventType, type AuditRefusal } from './audit.js';
import { endedReasonNow, SessionEndedError, type SessionEndedReason } from './ended.js';
import { SessionWatch, type SessionSignal } from './watch.js';
import { endedTtlMs, heartbeatMs, type SharedEndings } from './shared.js';
import { StoreUnavailableError, unavailableResponse } from './unavailable.js';
import { activityForSession, mayBeHeldElsewhere, planRequest, type RequestActivity, type RequestPlan } from './request.js';

/** Options of an adapter's `signOut()`. */
export interface SignOutOptions {
  /**
   * Also send `Clear-Site-Data: "cache"`, so that Back or the back-forward cache cannot show a protected
   * page after sign-out (OWASP Session Management Cheat Sheet, "Web Content Caching"). Default `false`.
   */
  clearSiteData?: boolean;
}

/** The `Clear-Site-Data` header value that `signOut(…, { clearSiteData: true })` sends: the browser's cache for the site. */
export const CLEAR_SITE_DATA_CACHE = '"cache"';

/**
 * A handle on one session for activity the app reports after the request that made it ended (see
 * `IdleSessionAdapter.activityHandle`), such as the messages of a WebSocket opened by that request.
 */
export interface ActivityHandle {
  /** The session's non-secret record id (the status body's `sessionId`), or `null` when the request had no tracked session. */
  readonly sessionId: string | null;
  /**
   * Records activity of the session now, as a request of the user's would: reads the session from its
   * store, moves its idle deadline, and writes last-activity back through the store at most once per
   * `touchInterval` (a store that writes conditionally, such as `@idle-session/redis`'s, refuses a session
   * that any instance ended). A session found past its deadline is ended as a request would end it (the
   * store keeps only why). Cookie-only sessions (Koa without a store) have no server copy to write: the
   * activity is kept in this process (`SessionLedger`) and written into the cookie by the session's next
   * request here.
   * @returns the session's state after the activity.
   * @throws `SessionEndedError` (status 401) with the `reason` (`idle`, `absolute`, `signed-out` (signed
   *   out, replaced by a new sign-in, or gone from the store), `none`) when the session is not active:
   *   an ended or expired session is never revived.
   * @throws `StoreUnavailableError` while the store or the shared service is unavailable.
   */
  touch(): Promise<ActiveSession>;
}

/** Options of an adapter's `requireSignIn()` guard. */
export interface RequireSignInOptions {
  /** Where an HTML request without an active session is redirected, with `?reason=idle|absolute` after an expiry. Default `/login`. */
  loginUrl?: string;
  /**
   * Add `next=<path>` to the redirect of a `GET` or `HEAD` request: the page the user asked for (path and
   * query), so that the login page can send them back there after signing in (read it with `safeNextPath`,
   * never as it is: an open redirect). Default `true`.
   */
  returnTo?: boolean;
}

/**
 * What every server adapter's middleware offers besides handling requests, whatever the framework.
 *
 * @typeParam Request - the framework's request (Express `Request`) or context (Koa `Context`).
 * @typeParam Handler - the framework's middleware type, returned by `requireSignIn`.
 */
export interface IdleSessionAdapter<Request, Handler> {
  /** The validated policy, with defaults filled in (milliseconds), e.g. to tell users the idle timeout. */
  readonly policy: IdlePolicy;
  /**
   * Signs a user in: a new session id (against session fixation: OWASP Session Management Cheat Sheet,
   * "Renew the Session ID After Any Privilege Level Change") and tracking starts. Store the user in the
   * session after it resolves. Clears a remembered expiry reason.
   *
   * With `limits`, the session gets timeouts of its own (milliseconds; each one left out is the policy's),
   * kept in its record, so every instance and every later request uses them: the status body reports
   * them (`idleTimeoutMs`, `warnBeforeMs`, the remaining times) and the browser element follows them.
   * OWASP Session Management Cheat Sheet, "Session Expiration": shorter timeouts for more sensitive
   * sessions (an administrator's 5 minutes where a clerk gets 30).
   * @throws `IdlePolicyError` (a `TypeError`) naming the value when `limits` are invalid (validated as the
   *   options are; see `resolveSessionLimits`): nothing is stored, the previous session is untouched.
   * @throws the session store's error, or an Error when the framework's session middleware is not mounted.
   */
  signIn(request: Request, limits?: SessionLimits): Promise<void>;
  /**
   * Changes the timeouts of the request's session while it lives (a step-up sign-in, an administrator's
   * change): milliseconds, each one left out kept. The new limits apply from now, and the call counts as
   * activity (it runs in a request of the user's); the absolute deadline stays measured from sign-in, so
   * a shorter absolute timeout may end the session at once. Tightening is always allowed; loosening past
   * what the session's sign-in allowed only with `{ allowLonger: true }`. The change is written with the
   * session at the end of the request (and holds for copies of the session taken before it: a request
   * still in flight never writes the old limits back, see `withLaterLimits`).
   * @throws `IdlePolicyError` naming the value for an invalid value, or a loosening past the sign-in's
   *   limits without `allowLonger`: nothing is changed.
   * @throws `SessionEndedError` (status 401) with the `reason` when the session is not active (as
   *   `confirmActive`): an ended session is never revived.
   * @throws `StoreUnavailableError` while the shared service is unavailable.
   */
  setLimits(request: Request, limits: SessionLimits, options?: SetLimitsOptions): Promise<void>;
  /**
   * Records activity the app knows about and the middleware cannot see as a request of the user's (a
   * WebSocket message handled in this request, work done on the user's behalf), for the request's
   * session, at the current time: as an ordinary request would, it moves the idle deadline and is
   * written at most once per `touchInterval` (with the session, at the end of the request). Useful in a
   * request that `isActivity` excludes; for work after the request ended, use {@link activityHandle}.
   * @returns the session's state after the activity.
   * @throws `SessionEndedError` (status 401) with the `reason` (`idle`, `absolute`, `signed-out`, `none`)
   *   when the session is not active: an ended or expired session is never revived.
   * @throws `StoreUnavailableError` while the shared service is unavailable.
   */
  recordActivity(request: Request): Promise<ActiveSession>;
  /**
   * A handle on the request's session for activity after the request ended (the messages of a WebSocket
   * opened by this request, a long job started by it): `handle.touch()` records activity at that time
   * and writes it through the session store directly (see {@link ActivityHandle}). Take it while the
   * request runs (after the middleware); it holds the session's store key and record id, not the session.
   */
  activityHandle(request: Request): ActivityHandle;
  /**
   * Signs out: the session is destroyed in the store and its cookie deleted, with the attributes it was
   * set with (OWASP Session Management Cheat Sheet: invalidate on the server and clear the cookie). With
   * `{ clearSiteData: true }`, also `Clear-Site-Data: "cache"`.
   * @throws `StoreUnavailableError` while the session store is unavailable (the session is not ended).
   */
  signOut(request: Request, options?: SignOutOptions): Promise<void>;
  /** This request's evaluation, as the middleware made it (`{ state: 'none' }` before it ran). */
  state(request: Request): SessionEvaluation;
  /**
   * Why the user's last session ended, `'idle'` or `'absolute'`, from the request on which it expired
   * until the next sign-in; `null` otherwise. A login page uses it to say "signed out after 15 minutes of inactivity".
   */
  endedReason(request: Request): ExpiryReason | null;
  /**
   * A route guard: passes requests with an active tracked session; redirects HTML requests once (303) to
   * `loginUrl` (with `?reason=` after an expiry); answers requests for data (`Accept: application/json`,
   * `fetch()` from a page) with 401 and `{"state":"expired","reason":…}` or `{"state":"none"}`.
   */
  requireSignIn(options?: RequireSignInOptions): Handler;
  /**
   * Confirms, at the moment it is called, that the request's session is still active: not signed out
   * or expired while the request ran (on any instance, with the `shared` option), not past a deadline.
   * Call it just before answering that something the request changed in the session was saved: when the
   * session ended meanwhile, the change is not written (an ended session is never put back), and the
   * app must say so instead of "saved".
   * @throws `SessionEndedError` (status 401) with the `reason`: `idle`, `absolute`, `signed-out` or `none`.
   * @throws `StoreUnavailableError` while the shared service is unavailable.
   */
  confirmActive(request: Request): Promise<void>;
  /**
   * A signal for a long-lived response of this request (an event stream, long polling, a large download):
   * it aborts, with a `SessionEndedError` (`reason` `idle`, `absolute`, `signed-out` or `none`) as its
   * `reason`, when the request's session ends: a sign-out or an expiry on this instance at once, the idle
   * or absolute deadline when it comes (activity anywhere moves it), and, with the `shared` option, an
   * ending on another instance within a second or two. Already aborted when the session is not active.
   * Forgotten when the response closes. An open stream is not activity: it never extends the session.
   */
  sessionSignal(request: Request): SessionSignal;
}

/**
 * A request {@link routeRequest} sends on to the session: evaluate it with this activity (give the whole
 * route to `AdapterSetup.plan`), then answer `endpoint`, or pass the request on when it is `null`.
 */
export interface SessionRoute {
  readonly endpoint: EndpointName | null;
  readonly activity: RequestActivity;
  /**
   * The session a keep-alive names with `SESSION_ID_HEADER` (it extends only that one, see
   * `activityForSession`), or `null` when it names none and for every other request.
   */
  readonly forSession: string | null;
}

/** What an adapter does with a request before touching the session, decided by {@link routeRequest}. */
export type RouteDecision =
  /** Answer at once with this (unknown path under the prefix, wrong method, forged keep-alive); the session is not touched. */
  | { readonly respond: EndpointResponse }
  | SessionRoute;

/**
 * Routes one request for an adapter: the endpoints under the prefix (with their method check, the
 * keep-alive forgery guard, and the session a keep-alive names with `SESSION_ID_HEADER`) and, for the
 * app's own requests, whether they count as activity: not when the browser marks them as speculative
 * (see `isSpeculative`), nor when the app's `isActivity` says no.
 *
 * @param options - the adapter's resolved options (`prefix`, `isActivity`).
 * @param request - the framework's request, passed to `isActivity`.
 * @param method - the HTTP method.
 * @param path - the path relative to where the middleware is mounted, without the query.
 * @param header - reads a request header by lower-case name.
 */
export function routeRequest<Request>(
  options: Pick<ResolvedOptions<Request>, 'prefix' | 'isActivity'>,
  request: Request,
  method: string,
  path: string,
  header: HeaderReader,
): RouteDecision {
  const endpoint = matchEndpoint(options.prefix, path);
  if (endpoint === 'unknown') return { respond: unknownEndpointResponse(options.prefix) };
  if (endpoint === null) return { endpoint, activity: !isSpeculative(header) && options.isActivity(request) ? 'activity' : 'passive', forSession: null };
  const effective = method === 'HEAD' && endpoint === 'status' ? 'GET' : method;
  if (effective !== ENDPOINT_METHODS[endpoint]) return { respond: methodResponse(endpoint, method) };
  if (endpoint === 'status') return { endpoint, activity: 'passive', forSession: null };
  const check = checkKeepAliveOrigin(header);
  return check.ok ? { endpoint, activity: 'keepalive', forSession: namedSessionId(header) } : { respond: forbiddenResponse(check.message) };
}

/** The answer of an endpoint once the session was evaluated: see `statusResponse` and `keepAliveResponse`. */
export function endpointResponse(endpoint: EndpointName, evaluation: SessionEvaluation, policy: IdlePolicy): EndpointResponse {
  return endpoint === 'status' ? statusResponse(evaluation, policy) : keepAliveResponse(evaluation, policy);
}

/**
 * What an adapter does with a request while the session store is unavailable (a `StoreUnavailableError`,
 * or a session read back as `unavailableSession()`): the endpoints and requests for data get the 503 JSON
 * of `unavailableResponse()`; pages get a `StoreUnavailableError` for the app's error page (503). Never
 * the protected page, never a redirect to the login page, nothing counted as activity.
 */
export function unavailableDecision(
  endpoint: EndpointName | null,
  header: HeaderReader,
  cause?: unknown,
): { readonly respond: EndpointResponse } | { readonly error: StoreUnavailableError } {
  if (endpoint !== null || wantsJson(header)) return { respond: unavailableResponse() };
  return { error: cause instanceof StoreUnavailableError ? cause : new StoreUnavailableError() };
}

/** A request held as running by `AdapterSetup.holdRequest`. */
export interface RequestHold {
  /** The request ended (the app started answering, or the connection closed): the hold ends here. Once only. */
  end(): void;
  /**
   * The request's last write of the session is in the store (or there was none): other instances are told
   * the hold ended, unless another request of the session still runs here. Calls `end()` first.
   */
  settled(): void;
  /** Whether other instances were told of the hold. */
  readonly announced: boolean;
}

const NO_HOLD: RequestHold = Object.freeze({ end() {}, settled() {}, announced: false });

type Timers = { setInterval(run: () => void, ms: number): unknown; clearInterval(timer: unknown): void };

/** A request held as running (see `AdapterSetup.holdRequest`): one object, no closures but the heartbeat's, as it is made per request. */
class HeldRequest implements RequestHold {
  #running = true;
  #beat: unknown;
  announced = false;

  constructor(
    private readonly id: string,
    private readonly ledger: SessionLedger,
    policy: IdlePolicy,
    private readonly shared: SharedEndings | null,
    storeKey: string | undefined,
    announce: boolean,
  ) {
    ledger.beginRequest(id);
    if (!shared?.holdActive) return;
    const period = heartbeatMs(policy);
    const keep = storeKey === undefined ? undefined : { key: storeKey, ttlMs: policy.idleTimeout + policy.touchInterval };
    // (`policy` is the session's own: see `holdRequest`.)
    const hold = (): void => {
      this.announced = true;
      void shared.holdActive!(id, 3 * period, keep).catch(() => {}); // the next beat tries again
    };
    if (announce) hold();
    const timers = globalThis as unknown as Timers;
    this.#beat = timers.setInterval(hold, period);
    (this.#beat as { unref?: () => void }).unref?.(); // Node: a beat never keeps the process alive
  }

  end(): void {
    if (!this.#running) return;
    this.#running = false;
    if (this.#beat !== undefined) (globalThis as unknown as Timers).clearInterval(this.#beat);
    this.ledger.endRequest(this.id);
  }

  settled(): void {
    this.end();
    if (!this.announced || !this.shared?.releaseActive || this.ledger.hasRequestInFlight(this.id)) return;
    this.announced = false;
    void this.shared.releaseActive(this.id).catch(() => {}); // it runs out by itself
  }
}

/** What every adapter sets up once, at start-up, by {@link setUpAdapter}. */
export interface AdapterSetup<Request extends object> {
  /** The validated options. */
  readonly resolved: ResolvedOptions<Request>;
  /** `resolved.policy`. */
  readonly policy: IdlePolicy;
  /** This process's ledger of ended sessions and latest writes (see `SessionLedger.forPolicy`). */
  readonly ledger: SessionLedger;
  /** Each request's evaluation, kept for `state()` and `requireSignIn()`; `{ state: 'none' }` when unknown. */
  stateOf(request: Request): SessionEvaluation;
  /** Records a request's evaluation. */
  setState(request: Request, evaluation: SessionEvaluation): void;
  /**
   * Marks the tracked session holding `record` as ended, in the ledger and, when the `shared` option is
   * set, on every instance. Call it **before** destroying the session in the store, so that no write in
   * flight anywhere can put it back. A record without an id is ignored.
   * @throws the shared service's error.
   */
  endRecord(record: unknown, reason?: SessionEndedReason): Promise<void>;
  /** The long-lived responses watching their sessions (see `IdleSessionAdapter.sessionSignal`). */
  readonly watch: SessionWatch;
  /**
   * Whether another instance ended the tracked session holding `record` (`false` without the `shared`
   * option); when so, it is noted in this process's ledger too, so `planRequest` discards it.
   * @throws the shared service's error.
   */
  learnEnded(record: unknown): Promise<boolean>;
  /**
   * Counts a request of the session holding `record` as running, until `end()` of the returned
   * {@link RequestHold} is called:
   * meanwhile the session's idle clock stands still on this instance (`SessionLedger.beginRequest`) and,
   * with a `shared` option that supports it, on every instance (`SharedEndings.holdActive`, renewed
   * every `heartbeatMs`, keeping `storeKey` alive in the store too). Other instances are told after one
   * heartbeat, or at once with `announce` (for a request with a body: an upload is why requests run
   * long, and a short request then costs no write). A record without an id is ignored.
   */
  holdRequest(record: unknown, options?: { storeKey?: string | undefined; announce?: boolean }): RequestHold;
  /**
   * Whether another instance holds the session holding `record` active (a request of it is running
   * there); when so, the activity is noted in this process's ledger, so `planRequest` counts it.
   * `false` without a `shared` option that supports it.
   * @throws the shared service's error.
   */
  learnHeldActive(record: unknown): Promise<boolean>;
  /** Whether {@link AdapterSetup.learnHeldActive} can ever say `true` (a `shared` option that supports it). */
  readonly sharesActivity: boolean;
  /** Whether `holdRequest` tells other instances (a `shared` option with `holdActive`): only then are its options read. */
  readonly sharesHolds: boolean;
  /**
   * `planRequest` for this request, by the policy's clock and the ledger; when another instance may hold
   * the session active (see `mayBeHeldElsewhere`), it asks first and plans again with what it learned.
   * A keep-alive that names another session than `record`'s (`route.forSession`, see `activityForSession`)
   * is planned exactly like the status endpoint, and its plan says `otherSession: true`.
   * @param route - the request's {@link SessionRoute} from `routeRequest` (`forSession` defaults to `null`).
   * @throws the shared service's error.
   */
  plan(record: unknown, route: { readonly activity: RequestActivity; readonly forSession?: string | null }): Promise<RequestPlan>;
  /**
   * Reports what a keep-alive did to the `audit` option: `extended` when the session is active after it;
   * `refused` (`other-session`) when it named another session than the active one, which it did not
   * extend; `refused` (`ended-session`) when it came for a session that is gone, unless the plan itself
   * ended or discarded it (already reported as `expired` or `refused`).
   */
  reportKeepAlive(request: { method: string; url: string }, plan: RequestPlan, record: unknown): void;
  /**
   * Reports an event of a request to the `audit` option (nothing without one): `record` is the
   * idle-session record concerned (its non-secret id is reported, nothing else of it), `url` the request's
   * URL (its path is reported, never the query). Never throws.
   */
  report(type: AuditEventType, request: { method: string; url: string }, record: unknown, reason?: ExpiryReason | AuditRefusal | null): void;
  /**
   * What the adapters' `confirmActive()` does with the request's current record.
   * @throws `SessionEndedError`, or the shared service's error.
   */
  confirmActive(record: unknown): Promise<void>;
  /**
   * The record of a new sign-in at the policy's clock, with the session's own timeouts when `limits` are
   * given (see `signInRecord`). Call it before anything is changed: it validates.
   * @throws `IdlePolicyError` naming the value.
   */
  signInRecord(limits?: SessionLimits): SessionRecord;
  /**
   * What the adapters' `setLimits()` does with the request's current record: confirms the session is
   * active, validates and applies the change (see `changeLimits`), notes it in the ledger (so copies of
   * the session taken before it are held to it) and reschedules the session's signals. Returns the
   * record to store; the adapter puts it in the session.
   * @throws `SessionEndedError`, `IdlePolicyError` naming the value, or the shared service's error.
   */
  changeLimits(record: unknown, limits: SessionLimits, options?: SetLimitsOptions): Promise<SessionRecord>;
  /**
   * What the adapters' `recordActivity()` does with the request's current record: confirms the session is
   * active, then plans activity now (`planRequest` with `activity`): the plan's `write`, when not `null`,
   * is the record the adapter puts in the session.
   * @throws `SessionEndedError`, or the shared service's error.
   */
  recordActivity(record: unknown): Promise<RequestPlan & { readonly evaluation: ActiveSession }>;
  /**
   * What an {@link ActivityHandle}'s `touch()` does with the record its session's store holds now
   * (`undefined` when the store no longer has the session): plans activity now for the session with
   * record id `id`. A session found expired is ended here (audit `expired`, `endRecord`): the adapter then
   * writes `endedRecord(ended)` in the store, where its sessions live. `ended` says why the session is not
   * active (then nothing is to be written), or is `null` and the plan's `write` is the record to store.
   * @throws the shared service's error.
   */
  handleActivity(
    stored: unknown,
    id: string | null,
    request: { method: string; url: string },
  ): Promise<{ readonly plan: RequestPlan | null; readonly ended: SessionEndedReason | null; readonly expired: boolean }>;
}

/**
 * The start-up every adapter's factory does: validates the options (throws `IdlePolicyError` naming the
 * option), prints the policy's warnings once (`console.warn`), and makes the ledger and the per-request
 * state store.
 */
export function setUpAdapter<Request extends object>(options: IdleSessionOptions<Request>): AdapterSetup<Request> {
  const resolved = resolveOptions(options);
  // core's build has no DOM or Node types; every runtime it supports has console.warn.
  const { console } = globalThis as unknown as { console: { warn(message: string): void } };
  for (const warning of resolved.warnings) console.warn(warning);
  // Each adapter keeps its evaluation on the request under a symbol of its own: cheaper per request than a
  // WeakMap (an ephemeron table), and invisible to the app's code and to JSON.
  const STATE = Symbol('idle-session evaluation');
  type WithState = Request & { [STATE]?: SessionEvaluation };
  const { policy, shared } = resolved;
  const ledger = SessionLedger.forPolicy(policy);
  const watch = new SessionWatch(policy, ledger, shared);
  const sharesActivity = typeof shared?.isHeldActive === 'function';
  const setup: AdapterSetup<Request> = {
    resolved,
    policy,
    ledger,
    stateOf: (request) => (request as WithState)[STATE] ?? { state: 'none' },
    setState: (request, evaluation) => void ((request as WithState)[STATE] = evaluation),
    watch,
    async endRecord(record, reason = 'signed-out') {
      const id = recordId(record);
      if (id === null) return;
      const how = reason === 'idle' || reason === 'absolute' ? reason : 'signed-out';
      const now = policy.clock.now();
      // As long as a copy of this session could be used: by its own idle timeout when it has one.
      const ttlMs = endedTtlMs(sessionPolicy(ledger.withKnownLimits(record, now), policy) ?? policy);
      ledger.end(id, now, how, ttlMs);
      watch.ended(id, reason);
      await shared?.markEnded(id, ttlMs, how);
    },
    holdRequest(record, options) {
      const id = recordId(record);
      return id === null
        ? NO_HOLD
        : new HeldRequest(id, ledger, sessionPolicy(ledger.withKnownLimits(record, policy.clock.now()), policy) ?? policy, shared, options?.storeKey, options?.announce === true);
    },
    sharesActivity,
    sharesHolds: typeof shared?.holdActive === 'function',
    async plan(record, route) {
      const activity = activityForSession(route.activity, record, route.forSession ?? null);
      let plan = planRequest(record, policy, policy.clock.now(), activity, ledger);
      if (sharesActivity && mayBeHeldElsewhere(plan, activity, policy) && (await setup.learnHeldActive(record))) {
        plan = planRequest(record, policy, policy.clock.now(), activity, ledger);
      }
      return activity === route.activity ? plan : { ...plan, otherSession: true };
    },
    reportKeepAlive(request, plan, record) {
      if (plan.otherSession && plan.evaluation.state === 'active') setup.report('refused', request, record, 'other-session');
      else if (plan.evaluation.state === 'active') setup.report('extended', request, record);
      else if (!plan.discard && !plan.expire) setup.report('refused', request, null, 'ended-session');
    },
    async learnHeldActive(record) {
      const id = recordId(record);
      if (id === null || !shared?.isHeldActive || !(await shared.isHeldActive(id))) return false;
      const now = policy.clock.now();
      ledger.noteActivity(id, now, now);
      return true;
    },
    report(type, request, record, reason = null) {
      if (!resolved.audit) return;
      emitAudit(resolved.audit, {
        type,
        sessionId: recordId(record),
        at: policy.clock.now(),
        reason,
        method: request.method,
        path: auditPath(request.url),
        source: 'request',
      });
    },
    async confirmActive(record) {
      let reason = endedReasonNow(record, policy, policy.clock.now(), ledger);
      if (reason === null && shared && (await shared.hasEnded(recordId(record)!))) reason = 'signed-out';
      if (reason !== null) throw new SessionEndedError(reason);
    },
    signInRecord(limits) {
      return signInRecord(policy.clock.now(), policy, limits);
    },
    async changeLimits(record, limits, options) {
      await setup.confirmActive(record);
      const now = policy.clock.now();
      const changed = changeLimits(ledger.withKnownLimits(record, now), policy, limits, options, now);
      const id = recordId(changed)!;
      ledger.noteLimits(changed, now);
      ledger.noteActivity(id, changed.lastActivity!, now);
      watch.limitsChanged(id);
      return changed;
    },
    async recordActivity(record) {
      await setup.confirmActive(record);
      const plan = await setup.plan(record, { activity: 'activity' });
      const { evaluation } = plan;
      if (evaluation.state !== 'active') throw new SessionEndedError(evaluation.state === 'expired' ? evaluation.reason : 'signed-out');
      return plan as RequestPlan & { evaluation: ActiveSession };
    },
    async handleActivity(stored, id, request) {
      const now = policy.clock.now();
      const gone = (ended: SessionEndedReason) => ({ plan: null, ended, expired: false });
      if (id === null) return gone('none');
      if (!isTracked(stored)) return gone(readEndedReason(stored) ?? ledger.ending(id, now) ?? 'signed-out');
      if (recordId(stored) !== id) return gone('signed-out'); // replaced by a new sign-in
      if (shared) await setup.learnEnded(stored);
      const plan = await setup.plan(stored, { activity: 'activity' });
      if (plan.expire) {
        setup.report('expired', request, stored, plan.expire.reason);
        await setup.endRecord(stored, plan.expire.reason);
        return { plan, ended: plan.expire.reason, expired: true };
      }
      const { evaluation } = plan;
      if (evaluation.state === 'active' && !plan.discard) return { plan, ended: null, expired: false };
      return gone(evaluation.state === 'expired' ? evaluation.reason : 'signed-out');
    },
    async learnEnded(record) {
      const id = recordId(record);
      if (id === null || !shared) return false;
      // How it ended, where the shared service says (after a timeout every instance tells the reason).
      const how = shared.ending ? await shared.ending(id) : (await shared.hasEnded(id)) ? 'signed-out' : null;
      if (how === null) return false;
      ledger.end(id, policy.clock.now(), how);
      return true;
    },
  };
  return setup;
}
