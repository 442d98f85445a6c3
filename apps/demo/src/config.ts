/**
 * The sample app's settings, read from the environment. Durations are in **seconds** in the
 * environment and milliseconds everywhere in code.
 */
export interface DemoConfig {
  /** Which server runs the app: `express` (default), `koa` or `fastify`; the pages are the same. */
  framework: Framework;
  /** TCP port; 0 picks a free one. */
  port: number;
  idleTimeoutMs: number;
  /** `undefined` when WARN_BEFORE is not set: the library's default (2 minutes, or half a short idle timeout). */
  warnBeforeMs: number | undefined;
  absoluteTimeoutMs: number;
  /** Secret that signs the session cookie. */
  sessionSecret: string;
  /** `true` when SESSION_SECRET was set (instances sharing a Redis need one secret). */
  sessionSecretGiven: boolean;
  /** Where sessions are kept: `null` for the embedded memory store, else a `redis://` or `rediss://` URL. */
  redisUrl: string | null;
  /**
   * How many reverse proxies in front of the app to trust for `X-Forwarded-Proto` and `X-Forwarded-For`
   * (TRUST_PROXY): 0 (default) trusts none. Behind a TLS-terminating proxy set 1, so a request that came
   * over HTTPS counts as secure and its session cookie gets `Secure`.
   */
  trustProxy: number;
}

/** The servers the sample app runs on (FRAMEWORK). */
export const FRAMEWORKS = ['express', 'koa', 'fastify'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/** Thrown for an environment variable the app cannot use; the message names it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number;
function seconds(env: NodeJS.ProcessEnv, name: string, fallback: undefined): number | undefined;
function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number | undefined): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback === undefined ? undefined : fallback * 1000;
  const ms = /^\d+(\.\d+)?$/.test(raw) ? Math.round(Number(raw) * 1000) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 1) {
    throw new ConfigError(`${name} must be a positive number of seconds (such as 900 or 2.5), got ${JSON.stringify(env[name])}.`);
  }
  return ms;
}

/**
 * Reads `FRAMEWORK` (`express`, the default, `koa` or `fastify`), `PORT` (default 3000), `IDLE_TIMEOUT` (seconds, default 900), `WARN_BEFORE` (seconds, default 120, or half of a shorter-than-4-minute idle timeout),
 * `ABSOLUTE_TIMEOUT` (seconds, default 28800), `SESSION_SECRET` (default: random at each start, which
 * signs everybody out on restart, as the memory store does anyway) and `REDIS_URL` (default: none, the
 * embedded memory store; `redis://host:port` keeps sessions in Redis, shared by every instance) and
 * `TRUST_PROXY` (default 0: the number of reverse proxies in front to trust, 1 behind a TLS-terminating proxy).
 * @throws {@link ConfigError} naming the variable.
 */
export function readConfig(env: NodeJS.ProcessEnv, randomSecret: () => string): DemoConfig {
  const rawPort = env.PORT?.trim() || '3000';
  const port = /^\d+$/.test(rawPort) ? Number(rawPort) : Number.NaN;
  if (!Number.isInteger(port) || port > 65_535) {
    throw new ConfigError(`PORT must be a whole number from 0 to 65535, got ${JSON.stringify(rawPort)}.`);
  }
  const framework = env.FRAMEWORK?.trim().toLowerCase() || 'express';
  if (!(FRAMEWORKS as readonly string[]).includes(framework)) {
    throw new ConfigError(`FRAMEWORK must be "express", "koa" or "fastify", got ${JSON.stringify(env.FRAMEWORK)}.`);
  }
  const redisUrl = env.REDIS_URL?.trim() || null;
  if (redisUrl !== null && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL (such as redis://127.0.0.1:6379), got ${JSON.stringify(env.REDIS_URL)}.`);
  }
  const rawTrust = env.TRUST_PROXY?.trim() || '0';
  const trustProxy = /^\d{1,2}$/.test(rawTrust) ? Number(rawTrust) : Number.NaN;
  if (!Number.isInteger(trustProxy)) {
    throw new ConfigError(`TRUST_PROXY must be the number of proxies in front of the app (0 for none, 1 behind one TLS-terminating proxy), got ${JSON.stringify(env.TRUST_PROXY)}.`);
  }
  return {
    framework: framework as Framework,
    port,
    idleTimeoutMs: seconds(env, 'IDLE_TIMEOUT', 900),
    warnBeforeMs: seconds(env, 'WARN_BEFORE', undefined),
    absoluteTimeoutMs: seconds(env, 'ABSOLUTE_TIMEOUT', 28_800),
    sessionSecret: env.SESSION_SECRET || randomSecret(),
    sessionSecretGiven: Boolean(env.SESSION_SECRET),
    redisUrl,
    trustProxy,
  };
}
