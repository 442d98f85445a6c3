/**
 * `@idle-session/core`: the expiry protocol shared by the server adapters and the browser element.
 * Framework-free and dependency-free; runs in Node and in browsers.
 *
 * @packageDocumentation
 */
export { systemClock, type Clock } from './clock.js';
export {
  createPolicy,
  DEFAULT_WARN_BEFORE_MS,
  IdlePolicyError,
  type IdlePolicy,
  type IdlePolicyOptions,
} from './policy.js';
export {
  endedRecord,
  EXPIRY_REASONS,
  isTracked,
  newRecordId,
  readEndedReason,
  recordId,
  SESSION_KEY,
  startRecord,
  type ExpiryReason,
  type SessionRecord,
} from './record.js';
export {
  evaluateRecord,
  type ActiveSession,
  type ExpiredSession,
  type SessionEvaluation,
  type UntrackedSession,
} from './evaluate.js';
export {
  changeLimits,
  hasOwnLimits,
  LIMIT_FIELDS,
  limitFieldsOf,
  resolveSessionLimits,
  sessionPolicy,
  signInRecord,
  withLaterLimits,
  type PolicyTimes,
  type ResolvedSessionLimits,
  type SessionLimits,
  type SetLimitsOptions,
} from './limits.js';
export { activityForSession, hasBody, mayBeHeldElsewhere, planRequest, planRequestEnd, timedOutBy, type RequestActivity, type RequestPlan } from './request.js';
export {
  parseStatusBody,
  toStatusBody,
  type ActiveStatusBody,
  type ExpiredStatusBody,
  type ForbiddenBody,
  type NoSessionStatusBody,
  type StatusBody,
} from './wire.js';
export {
  checkKeepAliveOrigin,
  KEEPALIVE_HEADER,
  KEEPALIVE_HEADER_VALUE,
  namedSessionId,
  SESSION_ID_HEADER,
  type KeepAliveCheck,
} from './guard.js';
export {
  DEFAULT_PREFIX,
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
export {
  policyWarnings,
  resolveOptions,
  WCAG_MIN_WARNING_MS,
  type IdleSessionOptions,
  type ResolvedOptions,
} from './options.js';
export { guardDecision, guardResponse, loginRedirectUrl, wantsJson, type GuardDecision, type HeaderReader } from './guard-route.js';
export { isSpeculative } from './speculative.js';
export { auditPath, emitAudit, type AuditEvent, type AuditEventType, type AuditHook, type AuditRefusal } from './audit.js';
export { arrivedOverHttps, cookieValues, insecureCookieWarning, nodeHeaderReader, signInCookieWarnings, type SignInCookie } from './proxy.js';
export { NEXT_PARAM, safeNextPath } from './return-to.js';
export { endedReasonNow, SessionEndedError, type SessionEndedReason } from './ended.js';
export { SessionWatch, WATCH_POLL_MS, type SessionSignal } from './watch.js';
export { SessionLedger, settleBeforeSave, type LedgerEnding, type SaveDecision } from './ledger.js';
export {
  CONDITIONAL_WRITES,
  ENDED_REASON_MEMORY_MS,
  endedTtlMs,
  expiryReasonAhead,
  heartbeatMs,
  SKIP_FORCED_SAVE,
  STORE_KEY_OF,
  storeKeyOf,
  storeTtlMs,
  writesConditionally,
  type SharedEndings,
} from './shared.js';
export {
  isUnavailableRecord,
  RETRY_AFTER_SECONDS,
  StoreUnavailableError,
  unavailableResponse,
  unavailableSession,
  type UnavailableBody,
} from './unavailable.js';
export {
  CLEAR_SITE_DATA_CACHE,
  endpointResponse,
  routeRequest,
  setUpAdapter,
  unavailableDecision,
  type ActivityHandle,
  type AdapterSetup,
  type IdleSessionAdapter,
  type RequestHold,
  type RequireSignInOptions,
  type RouteDecision,
  type SessionRoute,
  type SignOutOptions,
} from './adapter.js';
export {
  createSessionEngine,
  detachedActivityHandle,
  type BoundSession,
  type DetachedSession,
  type RequestFacts,
  type RequestOutcome,
  type RunningRequest,
  type SessionBinding,
  type SessionEngine,
} from './engine.js';
export { sessionTtl } from './store-ttl.js';
export { checkThenWrite, keepOnlyReason, storeEntry, type CallbackSessionStore } from './session-store.js';
