/**
 * The sample app's settings, read from the environment. Durations are in **seconds** in the
 * environment and milliseconds everywhere in code.
 */
export interface DemoConfig {
  /** TCP port; 0 picks a free one. */
  port: number;
  idleTimeoutMs: number;
  warnBeforeMs: number;
  absoluteTimeoutMs: number;
  /** Secret that signs the session cookie. */
  sessionSecret: string;
}

/** Thrown for an environment variable the app cannot use; the message names it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback * 1000;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive number of seconds, got ${JSON.stringify(raw)}.`);
  }
  return Math.round(value * 1000);
}

/**
 * Reads `PORT` (default 3000), `IDLE_TIMEOUT` (seconds, default 900), `WARN_BEFORE` (seconds, default 120),
 * `ABSOLUTE_TIMEOUT` (seconds, default 28800) and `SESSION_SECRET` (default: random at each start, which
 * signs everybody out on restart, as the memory store does anyway).
 * @throws {@link ConfigError} naming the variable.
 */
export function readConfig(env: NodeJS.ProcessEnv, randomSecret: () => string): DemoConfig {
  const rawPort = env.PORT ?? '3000';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`PORT must be a whole number from 0 to 65535, got ${JSON.stringify(rawPort)}.`);
  }
  return {
    port,
    idleTimeoutMs: seconds(env, 'IDLE_TIMEOUT', 900),
    warnBeforeMs: seconds(env, 'WARN_BEFORE', 120),
    absoluteTimeoutMs: seconds(env, 'ABSOLUTE_TIMEOUT', 28_800),
    sessionSecret: env.SESSION_SECRET || randomSecret(),
  };
}
