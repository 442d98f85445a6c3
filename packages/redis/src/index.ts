/**
 * `@idle-session/redis`: idle-session on several instances of an app that share one Redis.
 *
 * - {@link RedisSessionState}: ended marks shared by every instance (the adapters' `shared` option) and
 *   the conditional write that the stores use.
 * - `@idle-session/redis/express`: `IdleSessionRedisStore`, connect-redis for express-session.
 * - `@idle-session/redis/koa`: `idleSessionRedisStore()`, a Redis store for koa-session.
 *
 * All on the official `redis` client (node-redis 5).
 *
 * @packageDocumentation
 */
export {
  RedisSessionState,
  type RedisCommands,
  type RedisSessionStateOptions,
  type RedisSubscriber,
  type WatchExpiriesOptions,
  type WriteOutcome,
} from './state.js';
export { CONDITIONAL_WRITE_SCRIPT } from './script.js';
