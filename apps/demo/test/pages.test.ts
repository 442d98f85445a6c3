import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../src/config.js';
import { describeDuration } from '../src/duration.js';
import { escapeHtml } from '../src/html.js';
import { expiryMessage, loginPage, notSavedPage, tooManyAttemptsMessage } from '../src/pages.js';
import { asClientError, sessionCookieName, unsupportedCharset } from '../src/security.js';
import { isDemoActivity } from '../src/shared.js';

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

  it('runs on Express, Koa or Fastify, named in any letter case', () => {
    expect(['express', 'KOA', ' Fastify '].map((FRAMEWORK) => readConfig({ FRAMEWORK }, () => 'x').framework)).toEqual(['express', 'koa', 'fastify']);
  });

  it('treats an empty PORT as unset and accepts fractional seconds', () => {
    expect(readConfig({ PORT: '', IDLE_TIMEOUT: '2.5' }, () => 'x')).toMatchObject({ port: 3000, idleTimeoutMs: 2500 });
  });

  it.each([
    [{ IDLE_TIMEOUT: 'ten' }, /IDLE_TIMEOUT must be a positive number of seconds \(such as 900 or 2.5\), got "ten"/],
    [{ WARN_BEFORE: '-1' }, /WARN_BEFORE/],
    [{ ABSOLUTE_TIMEOUT: '0' }, /ABSOLUTE_TIMEOUT/],
    [{ PORT: 'http' }, /PORT must be a whole number/],
    [{ FRAMEWORK: 'hapi' }, /FRAMEWORK must be "express", "koa" or "fastify", got "hapi"/],
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
    expect(loginPage({ reason: 'idle', timeouts, csrfToken: 't' })).toContain('15 minutes of inactivity');
  });

  it('escapes what the user typed', () => {
    const page = loginPage({ reason: null, error: 'Incorrect username or password.', username: '"><script>x</script>', timeouts, csrfToken: '"><b>' });
    expect(page).not.toContain('<script>x');
    expect(page).toContain(escapeHtml('"><script>x</script>'));
    expect(page).toContain(`<input type="hidden" name="_csrf" value="${escapeHtml('"><b>')}">`);
  });
});

describe('demo pages: sign-in refusals and unsaved notes', () => {
  it('says how long to wait, in whole minutes', () => {
    expect(tooManyAttemptsMessage(900)).toBe('Too many failed sign-in attempts. For your security, please wait 15 minutes before you try again.');
    expect(tooManyAttemptsMessage(61)).toContain('wait 2 minutes');
    expect(tooManyAttemptsMessage(1)).toContain('wait 1 minute ');
    expect(tooManyAttemptsMessage(3_600)).toContain('wait 1 hour ');
  });

  it('gives unsaved notes back with a link to sign in again (no form: its session has ended), saying why', () => {
    const page = notSavedPage({ reason: 'idle', unsaved: '<b>my notes</b>', timeouts });
    expect(page).toContain('Your notes were not saved');
    expect(page).toContain(escapeHtml('<b>my notes</b>'));
    expect(page).toContain('<a href="/login?reason=idle" id="sign-in-again">');
    expect(page).not.toContain('<form');
    expect(notSavedPage({ reason: 'signed-out', unsaved: '', timeouts })).toContain('<a href="/login" id="sign-in-again">');
  });
});

describe('demo request handling', () => {
  it('reads form bodies in UTF-8 only', () => {
    expect(unsupportedCharset(undefined)).toBeNull();
    expect(unsupportedCharset('application/x-www-form-urlencoded')).toBeNull();
    expect(unsupportedCharset('application/x-www-form-urlencoded; charset=UTF-8')).toBeNull();
    expect(unsupportedCharset('application/x-www-form-urlencoded; charset="utf-8"')).toBeNull();
    expect(unsupportedCharset('application/x-www-form-urlencoded; charset=koi8-r')).toMatchObject({ status: 415, message: 'unsupported charset "KOI8-R"' });
    expect(unsupportedCharset('application/x-www-form-urlencoded; charset=')).toMatchObject({ status: 415 });
  });

  it('makes every body parser error a 4xx', () => {
    expect(asClientError(Object.assign(new Error('too large'), { status: 413 }))).toMatchObject({ status: 413, expose: true });
    expect(asClientError(Object.assign(new Error('incorrect header check'), { code: 'Z_DATA_ERROR' }))).toMatchObject({ status: 400 });
    expect(asClientError(Object.assign(new Error('odd'), { status: 500 }))).toMatchObject({ status: 400 });
  });

  it('names the session cookie __Host-demo.sid over HTTPS only', () => {
    expect(sessionCookieName(true)).toBe('__Host-demo.sid');
    expect(sessionCookieName(false)).toBe('demo.sid');
  });

  it('never counts the event stream or anything under /assets/ as activity, in any letter case', () => {
    for (const path of ['/clock', '/Clock/', '/assets/demo.css', '/ASSETS/demo.css', '/assets/chunks/x.js', '/assets/']) expect(isDemoActivity(path), path).toBe(false);
    for (const path of ['/', '/notes', '/login', '/assetsx', '/clocks']) expect(isDemoActivity(path), path).toBe(true);
  });
});

describe('demo Redis URL in logs', () => {
  it('never prints a password', async () => {
    const { withoutPassword } = await import('../src/redis.js');
    expect(withoutPassword('redis://user:secret@db:6379/0')).toBe('redis://user:***@db:6379/0');
    expect(withoutPassword('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
