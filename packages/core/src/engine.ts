import { setUpAdapter, endpointResponse, routeRequest, unavailableDecision, type ActivityHandle, type AdapterSetup, type RequireSignInOptions, type SessionRoute } from './adapter.js';
import type { EndpointResponse } from './endpoints.js';
import { evaluateRecord, type ActiveSession, type SessionEvaluation } from './evaluate.js';
import { guardDecision, guardResponse, type HeaderReader } from './guard-route.js';
import { settleBeforeSave } from './ledger.js';
import type { SessionLimits, SetLimitsOptions } from './limits.js';
import type { IdleSessionOptions } from './options.js';
import type { IdlePolicy } from './policy.js';
import { isTracked, readEndedReason, recordId, SESSION_KEY, type ExpiryReason } from './record.js';
import { hasBody, planRequestEnd, timedOutBy } from './request.js';
import { SessionEndedError } from './ended.js';
import type { SessionSignal } from './watch.js';
import { isUnavailableRecord, StoreUnavailableError } from './unavailable.js';
import { keepOnlyReason } from './session-store.js';

/** What an adapter tells the engine about one request, read from the framework's request object. */
export interface RequestFacts {
  /** The HTTP method. */
  readonly method: string;
  /** The URL as the client sent it (path and query): reported to `audit` (path only) and used for `returnTo`. */
  readonly url: string;
  /** The path relative to where the adapter is mounted, without the query: matched against the endpoints. */
  readonly path: string;
  /** Reads a request header by lower-case name as it arrived: `undefined` when absent, `''` when sent empty. */
  readonly header: HeaderReader;
  /** The request's headers, to tell whether it carries a body (`hasBody`). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * The request's session, as the framework's session library holds it (express-session, @fastify/session),
 * seen through the few operations the engine needs. Made per request by the adapter's {@link SessionBinding}.
 */
export interface BoundSession {
  /** idle-session's record in the session (`session[SESSION_KEY]`), `undefined` when none. */
  readonly record: unknown;
  /** Puts a record in the session; the session library writes it with the session at the end of the request. */
  setRecord(record: unknown): void;
  /** The session's key in its store (for holds shared across instances and `sessionSignal`), when it has one. */
  readonly storeKey: string | undefined;
  /** Whether the session's store writes conditionally (`writesConditionally`): it then checks its own writes. */
  readonly writesConditionally: boolean;
  /**
   * Whether the session lives in its cookie only (koa-session without a store): no store can delete it, so
   * every request first asks the shared service (`shared`) whether any instance ended it.
   */
  readonly cookieOnly?: boolean;
  /** Saves the session to its store now. @throws the store's error. */
  save(): Promise<void>;
  /**
   * After a timeout: drops every field of the session (the user's data included), keeps only
   * `endedRecord(reason)` under the same key, and saves it at once, so that every request still carrying the
   * session learns why it ended, with no moment at which the key is missing.
   */
  endInPlace(reason: ExpiryReason): Promise<void>;
  /**
   * Replaces the session by a fresh one with a new id (the old one destroyed in the store), holding only
   * `record` when given (a sign-in's), else empty.
   */
  renew(record?: unknown): Promise<void>;
  /** Destroys the session in its store; the request has no session afterwards. */
  destroy(): Promise<void>;
  /** Makes the session library never write this request's session back (nothing was read to write). */
  neverSave(): void;
  /**
   * Makes the session library check the store right before it writes this session back: `decide` is given
   * the store's current record (`exists: false` when the session is gone) and returns the record to write,
   * or `null` to write nothing. Called only for stores that do not write conditionally.
   */
  checkBeforeSave(decide: (stored: { exists: boolean; record: unknown }) => { record: unknown } | null): void;
}

/** A session's store entry read and written outside any request, for `ActivityHandle.touch()`. */
export interface DetachedSession {
  /** The session's data in the store now, or `null` when the store has none. @throws the store's error. */
  read(): Promise<Record<string, unknown> | null>;
  /** Writes the session's data to the store. @throws the store's error. */
  write(data: Record<string, unknown>): Promise<void>;
}

/**
 * How an adapter reaches the session of a request: the framework and session library specific part of an
 * adapter, everything else being the engine's ({@link createSessionEngine}).
 */
export interface SessionBinding<Request> {
  /** The request's facts. */
  facts(request: Request): RequestFacts;
  /**
   * The request's current session, or `null` when the session library gave it none (it skips requests
   * outside its cookie path, or is not mounted): such a request has state `none`.
   */
  session(request: Request): BoundSession | null;
  /** The request's session's store entry, for activity after the request; `null` without a store or a session. */
  detached(request: Request): DetachedSession | null;
  /** Said once, in the log, the first time a request arrives without a session (how to mount the session library). */
  readonly missingSessionWarning: string;
  /** The message of the Error that `signIn`, `setLimits` and `recordActivity` throw for a request without a session. */
  readonly missingSessionError: string;
}

/** What an adapter does with a request after the engine's {@link SessionEngine.handle}. */
export type RequestOutcome =
  /** Send this answer (an endpoint's, or the 503 JSON while the store is unavailable); the app's routes do not run. */
  | { readonly action: 'respond'; readonly answer: EndpointResponse }
  /**
   * The store is unavailable on a page request: set `headers` (`Cache-Control: no-store`, `Retry-After`) and
   * hand `error` to the framework's error handling (the app's 503 page).
   */
  | { readonly action: 'fail'; readonly error: StoreUnavailableError; readonly headers: Readonly<Record<string, string>> }
  /**
   * Pass the request on to the app. `running`, when not `null`, is held active until the app starts
   * answering: call `finish()` then (it applies the request's last write of activity to the session and
   * says whether the session has a write not saved yet), and `settled()` once the connection closed.
   */
  | { readonly action: 'pass'; readonly running: RunningRequest | null };

/** A request of an active session that counts as activity, while the app handles it. */
export interface RunningRequest {
  /**
   * The app started answering (or the connection closed): ends the hold, and puts the session's last
   * activity in it when `touchInterval` allows. Returns whether the session has a write of activity that
   * is not saved yet; `false` after the first call.
   */
  finish(): boolean;
  /** The request's last write of the session is in the store (or there was none): ends what `finish` did not. */
  settled(): void;
}

/**
 * The request flow every adapter over a server-side session library shares, built by
 * {@link createSessionEngine}: routing, evaluation, expiry, holds, sign-in and sign-out, the activity API.
 * The adapter writes answers and wires `running` requests to the framework's response events.
 */
export interface SessionEngine<Request extends object> {
  /** The start-up state (`setUpAdapter`). */
  readonly setup: AdapterSetup<Request>;
  /** The validated policy (milliseconds). */
  readonly policy: IdlePolicy;
  /** Evaluates a request's session and says what the adapter does next; never throws for a store outage. */
  handle(request: Request): Promise<RequestOutcome>;
  /**
   * What to do when the store turns out unavailable later in the request (`cause`, a `StoreUnavailableError`
   * of the adapter's own write): the 503 JSON for an endpoint (`endpoint`) or a request for data, else the
   * error for the app's 503 page (a `fail` outcome). Reported to `audit`; the session is never saved.
   */
  unavailable(request: Request, endpoint: 'status' | 'keepalive' | null, cause?: unknown): RequestOutcome;
  /** See `IdleSessionAdapter.signIn`. Returns the new session (for the adapter's cookie checks). */
  signIn(request: Request, limits?: SessionLimits): Promise<BoundSession>;
  /** See `IdleSessionAdapter.signOut`: ends and destroys the session; returns whether there was one. */
  signOut(request: Request): Promise<boolean>;
  /** See `IdleSessionAdapter.state`. */
  state(request: Request): SessionEvaluation;
  /** See `IdleSessionAdapter.endedReason`. */
  endedReason(request: Request): ExpiryReason | null;
  /** See `IdleSessionAdapter.confirmActive`. */
  confirmActive(request: Request): Promise<void>;
  /** See `IdleSessionAdapter.setLimits`. */
  setLimits(request: Request, limits: SessionLimits, options?: SetLimitsOptions): Promise<void>;
  /** See `IdleSessionAdapter.recordActivity`. */
  recordActivity(request: Request): Promise<ActiveSession>;
  /** See `IdleSessionAdapter.activityHandle`. */
  activityHandle(request: Request): ActivityHandle;
  /** See `IdleSessionAdapter.sessionSignal`: `stop` is to be called when the response closes. */
  sessionSignal(request: Request): { signal: SessionSignal; stop(): void };
  /** The protected-route guard's answer for this request (`requireSignIn`), or `null` to let it through. */
  guard(request: Request, options?: RequireSignInOptions): EndpointResponse | null;
  /** The methods an adapter offers as they are (`Object.assign` them to it): `policy`, `state`, `endedReason`, `confirmActive`, `setLimits`, `recordActivity`, `activityHandle`. */
  readonly methods: Pick<SessionEngine<Request>, 'policy' | 'state' | 'endedReason' | 'confirmActive' | 'setLimits' | 'recordActivity' | 'activityHandle'>;
}

/**
 * Builds the shared request flow of an adapter: validates `options` (throws `IdlePolicyError` naming the
 * option, as `setUpAdapter`) and returns the engine that drives `binding`'s sessions. The rules it applies
 * come from the OWASP Session Management Cheat Sheet ("Session Expiration": idle and absolute timeouts
 * enforced on the server; "Renew the Session ID After Any Privilege Level Change" at sign-in).
 *
 * @throws `IdlePolicyError` (a `TypeError`) naming an invalid option.
 */
export function createSessionEngine<Request extends object>(options: IdleSessionOptions<Request>, binding: SessionBinding<Request>): SessionEngine<Request> {
  const setup = setUpAdapter(options);
  const { resolved, policy, ledger, stateOf, setState, endRecord, report } = setup;
  // Each request's facts are read once and kept on it under a symbol of the engine's own (cheaper per
  // request than a WeakMap, an ephemeron table, and invisible to the app's code and to JSON).
  const FACTS = Symbol('idle-session request facts');
  type WithFacts = Request & { [FACTS]?: RequestFacts };
  const factsOf = (request: Request): RequestFacts => ((request as WithFacts)[FACTS] ??= binding.facts(request));
  // The request's session as loaded from its store (not one a sign-in made in this request).
  const LOADED = Symbol('idle-session loaded session');
  type WithLoaded = Request & { [LOADED]?: BoundSession | null };
  const recordOf = (request: Request) => binding.session(request)?.record;
  let warnedMissingSession = false;

  /** The session store is unavailable: the 503 JSON for endpoints and data requests, the app's 503 page otherwise. */
  function unavailable(request: Request, endpoint: SessionRoute['endpoint'], cause?: unknown): RequestOutcome {
    const facts = factsOf(request);
    report('refused', facts, null, 'store-unavailable');
    binding.session(request)?.neverSave(); // nothing read, so nothing to write back
    const decision = unavailableDecision(endpoint, facts.header, cause);
    if ('respond' in decision) return { action: 'respond', answer: decision.respond };
    return { action: 'fail', error: decision.error, headers: { 'Cache-Control': 'no-store', ...decision.error.headers } };
  }

  /** A request of an active session that counts as activity: held until the app starts answering. */
  function run(request: Request, session: BoundSession, wrote: boolean): RunningRequest {
    const facts = factsOf(request);
    const hold = setup.holdRequest(session.record, setup.sharesHolds ? { storeKey: session.storeKey, announce: hasBody(facts.headers) } : undefined);
    let running = true;
    return {
      finish() {
        if (!running) return false;
        running = false;
        hold.end();
        const current = binding.session(request);
        if (!current) return false; // signed out meanwhile
        const write = planRequestEnd(current.record, policy, policy.clock.now(), ledger);
        if (write) current.setRecord(write);
        return (wrote && current === session) || write !== null; // the start's write was for this session object only
      },
      settled() {
        running = false;
        hold.settled();
      },
    };
  }

  async function evaluate(request: Request, session: BoundSession, route: SessionRoute): Promise<RequestOutcome> {
    const facts = factsOf(request);
    const record = session.record;
    if (session.cookieOnly) await setup.learnEnded(record);
    const plan = await setup.plan(record, route);
    // A store that writes conditionally checks in its own write; any other is re-read before the write:
    // never resurrect an ended session, never move activity backwards.
    if (record !== undefined && !session.writesConditionally) {
      session.checkBeforeSave((stored) => {
        const decision = settleBeforeSave(session.record, { stored, ledger, now: policy.clock.now() });
        return decision.save ? { record: decision.record } : null;
      });
    }
    // Ended by a timeout (found now, or by another request of the session a moment ago): every request that
    // still carries the session learns why, so the old session's key keeps only the small marker of it.
    const timedOut = timedOutBy(plan);
    if (plan.expire) {
      report('expired', facts, record, plan.expire.reason);
      await endRecord(record, plan.expire.reason);
    } else if (plan.discard) {
      report('refused', facts, record, 'ended-session');
    }
    if (timedOut) await session.endInPlace(timedOut.reason);
    else if (plan.discard) await session.renew(); // a fresh anonymous session, so app code still finds one
    else if (plan.write) session.setRecord(plan.write);
    setState(request, plan.evaluation);
    const current = binding.session(request);
    (request as WithLoaded)[LOADED] = current; // the session as the store had it, for confirmActive
    if (!route.endpoint) {
      const active = route.activity !== 'passive' && plan.evaluation.state === 'active' && current;
      return { action: 'pass', running: active ? run(request, current, plan.write !== null) : null };
    }
    // A keep-alive says "extended" only once the store has it.
    if (plan.write && current) await current.save();
    if (route.endpoint === 'keepalive') setup.reportKeepAlive(facts, plan, current?.record);
    return { action: 'respond', answer: endpointResponse(route.endpoint, plan.evaluation, policy) };
  }

  /** Runs a step that changes the session in the store; when the store is unavailable, the session is never saved afterwards. */
  async function storeStep(request: Request, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      if (error instanceof StoreUnavailableError) binding.session(request)?.neverSave();
      throw error;
    }
  }

  /** The request's session, or an error naming how to mount the session library. */
  function requireSession(request: Request): BoundSession {
    const session = binding.session(request);
    if (!session) throw new Error(binding.missingSessionError);
    return session;
  }

  const engine: SessionEngine<Request> = {
    setup,
    policy,
    unavailable,
    get methods() {
      const { state, endedReason, confirmActive, setLimits, recordActivity, activityHandle } = engine;
      return { policy, state, endedReason, confirmActive, setLimits, recordActivity, activityHandle };
    },
    async handle(request) {
      const facts = factsOf(request);
      const route = routeRequest(resolved, request, facts.method, facts.path, facts.header);
      if ('respond' in route) {
        if (route.respond.status === 403) report('refused', facts, recordOf(request), 'forged-keepalive');
        return { action: 'respond', answer: route.respond };
      }
      const session = binding.session(request);
      if (!session) {
        // Not a crash (OWASP Error Handling Cheat Sheet): state `none`, said once in the log.
        if (!warnedMissingSession) {
          warnedMissingSession = true;
          (globalThis as unknown as { console: { warn(message: string): void } }).console.warn(binding.missingSessionWarning);
        }
        setState(request, { state: 'none' });
        return route.endpoint ? { action: 'respond', answer: endpointResponse(route.endpoint, { state: 'none' }, policy) } : { action: 'pass', running: null };
      }
      if (isUnavailableRecord(session.record)) return unavailable(request, route.endpoint);
      try {
        return await evaluate(request, session, route);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        return unavailable(request, route.endpoint, error);
      }
    },
    async signIn(request, limits) {
      const record = setup.signInRecord(limits); // validates first: an invalid limit changes nothing
      const previous = requireSession(request);
      await storeStep(request, async () => {
        await endRecord(previous.record);
        await previous.renew(record);
      });
      const session = requireSession(request);
      report('signed-in', factsOf(request), record);
      setState(request, evaluateRecord(record, policy, policy.clock.now()));
      return session;
    },
    async signOut(request) {
      const session = binding.session(request);
      const ended = session?.record;
      if (session) {
        await storeStep(request, async () => {
          await endRecord(ended);
          await session.destroy();
        });
      }
      if (isTracked(ended)) report('signed-out', factsOf(request), ended);
      setState(request, { state: 'none' });
      return session !== null;
    },
    state: stateOf,
    endedReason: (request) => readEndedReason(recordOf(request)),
    async confirmActive(request) {
      const session = binding.session(request);
      const record = session?.record;
      await setup.confirmActive(record);
      // A mark of an ended session is kept for the idle timeout (endedTtlMs), but a request held active (a
      // long upload) may outlive it: for the session this request loaded, its store entry is asked too. A
      // session gone from the store, or replaced there, has ended.
      const detached = session && session === (request as WithLoaded)[LOADED] ? binding.detached(request) : null;
      if (!detached) return;
      const stored = (await detached.read())?.[SESSION_KEY];
      if (isUnavailableRecord(stored)) throw new StoreUnavailableError();
      if (recordId(stored) !== recordId(record)) throw new SessionEndedError(readEndedReason(stored) ?? 'signed-out');
    },
    async setLimits(request, limits, options) {
      const changed = await setup.changeLimits(recordOf(request), limits, options);
      requireSession(request).setRecord(changed); // written with the session at the end of the request
      setState(request, evaluateRecord(changed, policy, policy.clock.now()));
    },
    async recordActivity(request) {
      const plan = await setup.recordActivity(recordOf(request));
      if (plan.write) requireSession(request).setRecord(plan.write); // written at the end of the request
      setState(request, plan.evaluation);
      return plan.evaluation;
    },
    activityHandle(request) {
      return detachedActivityHandle(setup, recordId(recordOf(request)), factsOf(request), binding.detached(request));
    },
    sessionSignal(request) {
      const session = binding.session(request);
      return setup.watch.watch(session?.record, session?.storeKey);
    },
    guard(request, { loginUrl = '/login', returnTo = true } = {}) {
      const facts = factsOf(request);
      const back = returnTo && (facts.method === 'GET' || facts.method === 'HEAD') ? facts.url : null;
      const decision = guardDecision(stateOf(request), loginUrl, facts.header, back);
      return decision.action === 'allow' ? null : guardResponse(decision);
    },
  };
  return engine;
}

/**
 * An `ActivityHandle` for session `sessionId` whose data lives in a store (`detached`: its entry there; `null`
 * when the request had no store or no session): each `touch()` reads the entry, plans activity now (see
 * `AdapterSetup.handleActivity`), ends an expired session as a request would (the entry keeps only why), and
 * writes last-activity back at most once per `touchInterval`, never for a session any instance ended.
 */
export function detachedActivityHandle<Request extends object>(
  setup: AdapterSetup<Request>,
  sessionId: string | null,
  request: { method: string; url: string },
  detached: DetachedSession | null,
): ActivityHandle {
  const { ledger, policy } = setup;
  return {
    sessionId,
    async touch(): Promise<ActiveSession> {
      if (sessionId === null || !detached) throw new SessionEndedError('none');
      const data = await detached.read();
      const stored = data?.[SESSION_KEY];
      if (isUnavailableRecord(stored)) throw new StoreUnavailableError();
      const outcome = await setup.handleActivity(stored, sessionId, request);
      if (outcome.expired && data && outcome.ended && outcome.ended !== 'signed-out' && outcome.ended !== 'none') {
        // As a request that finds it expired: the same key keeps only why it ended.
        const marker = { ...data };
        keepOnlyReason(marker, outcome.ended);
        await detached.write(marker);
      }
      if (outcome.ended !== null) throw new SessionEndedError(outcome.ended);
      const plan = outcome.plan!;
      if (plan.write && data) {
        // Checked right before the write: a sign-out here since the read is never undone.
        const now = policy.clock.now();
        if (ledger.hasEnded(sessionId, now)) throw new SessionEndedError(ledger.ending(sessionId, now) ?? 'signed-out');
        await detached.write({ ...data, [SESSION_KEY]: plan.write });
      }
      return plan.evaluation as ActiveSession;
    },
  };
}
