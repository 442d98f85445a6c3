import type { IdlePolicy } from './policy.js';
import { SESSION_KEY } from './record.js';
import { storeTtlMs } from './shared.js';

/**
 * A per-session TTL for express-session-compatible stores (express-session, @fastify/session) that take one as a function, such as
 * [memorystore](https://github.com/roccomuso/memorystore)'s `ttl` option: how long the store should
 * keep a session, in milliseconds from now, by {@link storeTtlMs} (a tracked session
 * until its idle deadline plus `touchInterval`, never past its absolute deadline; a session that only
 * remembers why the last one ended, briefly). So a session nobody comes back to leaves the store at
 * its deadline, without a request (OWASP Session Management Cheat Sheet, 'Session Expiration').
 *
 * @example
 * ```ts
 * const idle = idleSession({ idleTimeout: 15 * 60_000 });
 * app.use(session({ secret, resave: false, saveUninitialized: false, store: new (createMemoryStore(session))({ ttl: sessionTtl(idle.policy), checkPeriod: 60_000 }) }));
 * ```
 * @param policy - the middleware's validated `policy`.
 * @param now - the clock, epoch milliseconds (default `policy.clock.now`).
 * @returns `(options, session) => milliseconds`, at least 1 (a store given 0 might keep the session forever).
 */
export function sessionTtl(policy: IdlePolicy, now: () => number = () => policy.clock.now()): (options: unknown, session: unknown) => number {
  return (_options, session) => {
    const record = session !== null && typeof session === 'object' ? (session as Record<string, unknown>)[SESSION_KEY] : undefined;
    return Math.max(1, storeTtlMs(record, policy, now()));
  };
}
