import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../src/config.js';
import { describeDuration } from '../src/duration.js';
import { escapeHtml } from '../src/html.js';
import { expiryMessage, loginPage } from '../src/pages.js';

const timeouts = { idleTimeoutMs: 900_000, absoluteTimeoutMs: 28_800_000 };

describe('demo configuration', () => {
  it('reads seconds from the environment and gives milliseconds, with the documented defaults', () => {
    expect(readConfig({}, () => 'random')).toEqual({
      framework: 'express',
      port: 3000,
      idleTimeoutMs: 900_000,
      warnBeforeMs: undefined,
      absoluteTimeoutMs: 28_800_000,
      sessionSecret: 'random',
      sessionSecretGiven: false,
      redisUrl: null,
      trustProxy: 0,
    });
    const env = { FRAMEWORK: 'koa', PORT: '0', IDLE_TIMEOUT: '6', WARN_BEFORE: '3', ABSOLUTE_TIMEOUT: '60', SESSION_SECRET: 's', REDIS_URL: 'redis://127.0.0.1:6379', TRUST_PROXY: '1' };
    expect(readConfig(env, () => 'x')).toEqual({
      framework: 'koa',
      port: 0,
      idleTimeoutMs: 6000,
      warnBeforeMs: 3000,
      absoluteTimeoutMs: 60_000,
      sessionSecret: 's',
      sessionSecretGiven: true,
      redisUrl: 'redis://127.0.0.1:6379',
      trustProxy: 1,
    });
  });

  it('treats an empty PORT as unset and accepts fractional seconds', () => {
    expect(readConfig({ PORT: '', IDLE_TIMEOUT: '2.5' }, () => 'x')).toMatchObject({ port: 3000, idleTimeoutMs: 2500 });
  });

  it.each([
    [{ IDLE_TIMEOUT: 'ten' }, /IDLE_TIMEOUT must be a positive number of seconds \(such as 900 or 2.5\), got "ten"/],
    [{ WARN_BEFORE: '-1' }, /WARN_BEFORE/],
    [{ ABSOLUTE_TIMEOUT: '0' }, /ABSOLUTE_TIMEOUT/],
    [{ PORT: 'http' }, /PORT must be a whole number/],
    [{ FRAMEWORK: 'hapi' }, /FRAMEWORK must be "express" or "koa", got "hapi"/],
    [{ PORT: '99999' }, /PORT must be a whole number/],
    [{ PORT: '80.5' }, /PORT/],
    [{ IDLE_TIMEOUT: '0x10' }, /IDLE_TIMEOUT/],
    [{ IDLE_TIMEOUT: '0.0001' }, /IDLE_TIMEOUT/],
    [{ IDLE_TIMEOUT: '1e400' }, /IDLE_TIMEOUT/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, /REDIS_URL/],
    [{ TRUST_PROXY: 'yes' }, /TRUST_PROXY must be the number of proxies/],
    [{ TRUST_PROXY: '-1' }, /TRUST_PROXY/],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => readConfig(env, () => 'x')).toThrow(ConfigError);
    expect(() => readConfig(env, () => 'x')).toThrow(message);
  });
});

describe('demo pages', () => {
  it('describes durations in words', () => {
    expect(describeDuration(900_000)).toBe('15 minutes');
    expect(describeDuration(6_000)).toBe('6 seconds');
    expect(describeDuration(28_800_000)).toBe('8 hours');
    expect(describeDuration(5_400_000)).toBe('1 hour 30 minutes');
    expect(describeDuration(1_000)).toBe('1 second');
  });

  it('says why the user was signed out', () => {
    expect(expiryMessage('idle', timeouts)).toMatch(/signed out after 15 minutes of inactivity/);
    expect(expiryMessage('absolute', timeouts)).toMatch(/maximum session length of 8 hours/);
    expect(expiryMessage(null, timeouts)).toBeNull();
    expect(loginPage({ reason: 'idle', timeouts })).toContain('15 minutes of inactivity');
  });

  it('escapes what the user typed', () => {
    const page = loginPage({ reason: null, error: 'Incorrect username or password.', username: '"><script>x</script>', timeouts });
    expect(page).not.toContain('<script>x');
    expect(page).toContain(escapeHtml('"><script>x</script>'));
  });
});

describe('demo Redis URL in logs', () => {
  it('never prints a password', async () => {
    const { withoutPassword } = await import('../src/redis.js');
    expect(withoutPassword('redis://user:secret@db:6379/0')).toBe('redis://user:***@db:6379/0');
    expect(withoutPassword('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
