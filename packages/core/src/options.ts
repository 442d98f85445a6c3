import { DEFAULT_PREFIX } from './endpoints.js';
import { createPolicy, IdlePolicyError, type IdlePolicy, type IdlePolicyOptions } from './policy.js';
import type { AuditHook } from './audit.js';
import type { SharedEndings } from './shared.js';

/**
 * The options every server adapter (Express, Koa) takes: the policy plus where the endpoints live and
 * which requests count as activity. Durations in milliseconds.
 *
 * @typeParam Request - the framework's request or context type, as passed to `isActivity`.
 */
export interface IdleSessionOptions<Request> extends IdlePolicyOptions {
  /**
   * Where the endpoints are mounted, relative to the middleware: `{prefix}/status` and
   * `{prefix}/keepalive`. Must start with `/` and not end with one. Default `/idle-session`.
   */
  prefix?: string | undefined;
  /**
   * Decides whether an ordinary request of a tracked session counts as activity. Return `false` for
   * an application's own background polling, which must not keep a session alive forever.
   * The status endpoint never counts and the keep-alive always does, whatever this returns; requests
   * the browser marks as speculative (prefetch, prerender: see `isSpeculative`) never count, and this
   * is not asked for them. Default: every other request counts.
   */
  isActivity?: ((request: Request) => boolean) | undefined;
  /**
   * Knowledge of ended sessions shared by every instance of the app, such as `@idle-session/redis`'s
   * `RedisSessionState`. Needed as soon as more than one process serves the app: a sign-out or expiry
   * on one instance is then final on all, and (with a store that writes conditionally) a request in
   * flight elsewhere can never write the session back. Default: none (one process; the per-process
   * `SessionLedger` alone).
   */
  shared?: SharedEndings | undefined;
  /**
   * Called with every event of the session lifecycle (signed in, extended, expired, signed out, refused:
   * see `AuditEvent`), for the audit log that banks, governments and health portals must keep (OWASP
   * Logging Cheat Sheet; ASVS 5.0 V16). Synchronous; an error it throws is printed and ignored. Events hold
   * the non-secret `sessionId`, never the cookie or session data. Default: none.
   */
  audit?: AuditHook | undefined;
}

/** Adapter options after validation, with defaults filled in. */
export interface ResolvedOptions<Request> {
  readonly policy: IdlePolicy;
  readonly prefix: string;
  readonly isActivity: (request: Request) => boolean;
  /** The shared knowledge of ended sessions, or `null` (one process). */
  readonly shared: SharedEndings | null;
  /** The audit hook, or `null`. */
  readonly audit: AuditHook | null;
  /** Advisory messages to print once at start-up (see {@link policyWarnings}). */
  readonly warnings: readonly string[];
}

/** WCAG 2.2 SC 2.2.1 Timing Adjustable: the user must get at least 20 seconds to extend. */
export const WCAG_MIN_WARNING_MS = 20_000;

/**
 * Advice about a valid but doubtful policy, for an adapter to print once at start-up. Never throws.
 * Today: a `warnBefore` under 20 s breaks WCAG 2.2 SC 2.2.1, which asks for at least 20 seconds to
 * extend with a simple action.
 */
export function policyWarnings(policy: IdlePolicy): string[] {
  const warnings: string[] = [];
  if (policy.warnBefore < WCAG_MIN_WARNING_MS) {
    warnings.push(
      `idle-session: warnBefore is ${policy.warnBefore} ms, under the 20 s that WCAG 2.2 SC 2.2.1 (Timing Adjustable) ` +
        'requires users to have to extend a session; use 20000 or more outside tests and demonstrations.',
    );
  }
  return warnings;
}

/**
 * Validates adapter options once, at start-up (the adapters' factories call this).
 * @throws {@link IdlePolicyError} naming the option: every policy error of `createPolicy`, a `prefix`
 *   that is not a string starting with `/` (and not ending with one), an `isActivity` that is not a
 *   function, a `shared` without `markEnded` and `hasEnded` methods, or an `audit` that is not a function.
 */
export function resolveOptions<Request>(options: IdleSessionOptions<Request>): ResolvedOptions<Request> {
  const policy = createPolicy(options);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || !/^\/[^?#\s]*[^/?#\s]$/.test(prefix)) {
    throw new IdlePolicyError(
      'prefix',
      `must be a path that starts with "/" and does not end with one, such as "${DEFAULT_PREFIX}", got ${JSON.stringify(prefix)}.`,
    );
  }
  const isActivity = options.isActivity ?? (() => true);
  if (typeof isActivity !== 'function') {
    throw new IdlePolicyError('isActivity', `must be a function (request) => boolean, got a value of type ${typeof isActivity}.`);
  }
  const shared = options.shared ?? null;
  if (shared !== null && (typeof shared !== 'object' || typeof shared.markEnded !== 'function' || typeof shared.hasEnded !== 'function')) {
    throw new IdlePolicyError('shared', 'must be an object with markEnded(recordId, ttlMs) and hasEnded(recordId) methods, such as a RedisSessionState.');
  }
  const audit = options.audit ?? null;
  if (audit !== null && typeof audit !== 'function') {
    throw new IdlePolicyError('audit', `must be a function (event) => void, got a value of type ${typeof audit}.`);
  }
  return Object.freeze({ policy, prefix, isActivity, shared, audit, warnings: Object.freeze(policyWarnings(policy)) });
}
