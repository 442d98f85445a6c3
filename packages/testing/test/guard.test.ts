import { afterEach, describe, expect, it, vi } from 'vitest';
import { idleSession as expressIdleSession } from '@idle-session/express';
import { idleSession as koaIdleSession } from '@idle-session/koa';
import { SessionAgent, TestClock } from '../src/index.js';
import { testControls as expressTestControls } from '../src/express.js';
import { testControls as koaTestControls } from '../src/koa.js';

describe('the production guard', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('the controls refuse to start when NODE_ENV is production, naming the reason', () => {
    const clock = new TestClock();
    const expressIdle = expressIdleSession({ idleTimeout: 60_000, clock });
    const koaIdle = koaIdleSession({ idleTimeout: 60_000, clock });
    vi.stubEnv('NODE_ENV', 'production');
    expect(() => expressTestControls({ idle: expressIdle })).toThrow(
      /testControls\(\) \(Express\) refuses to start because NODE_ENV is "production"/,
    );
    expect(() => koaTestControls({ idle: koaIdle })).toThrow(/testControls\(\) \(Koa\) refuses to start because NODE_ENV is "production"/);
  });

  it('TestClock and SessionAgent refuse to start when NODE_ENV is production', () => {
    vi.stubEnv('NODE_ENV', 'production');
    expect(() => new TestClock()).toThrow(/TestClock refuses to start because NODE_ENV is "production"/);
    expect(() => new SessionAgent('http://127.0.0.1:1')).toThrow(/SessionAgent refuses to start/);
  });

  it('everything starts under NODE_ENV=test and development', () => {
    for (const env of ['test', 'development']) {
      vi.stubEnv('NODE_ENV', env);
      const idle = expressIdleSession({ idleTimeout: 60_000, clock: new TestClock() });
      expect(() => expressTestControls({ idle })).not.toThrow();
    }
  });

  it('the controls refuse an adapter whose clock is not a TestClock: moving it would change nothing', () => {
    const idle = expressIdleSession({ idleTimeout: 60_000 });
    expect(() => expressTestControls({ idle })).toThrow(/the adapter's clock is not a TestClock/);
    expect(() => expressTestControls({ idle, clock: new TestClock() })).toThrow(/is not the clock the adapter was given/);
    expect(() => koaTestControls({} as never)).toThrow(/needs \{ idle \}/);
  });

  it('the controls refuse a prefix that is not a path', () => {
    const idle = koaIdleSession({ idleTimeout: 60_000, clock: new TestClock() });
    expect(() => koaTestControls({ idle, prefix: 'test/' })).toThrow(/option "prefix" must be a path/);
  });

  it('the adapters do not import this package: nothing test-only is reachable from them', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    for (const pkg of ['core', 'express', 'koa', 'element', 'redis']) {
      const dir = join(import.meta.dirname, '..', '..', pkg, 'src');
      const manifest = readFileSync(join(dir, '..', 'package.json'), 'utf8');
      expect(manifest, `${pkg}/package.json`).not.toContain('@idle-session/testing');
      for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'))) {
        expect(readFileSync(join(dir, file), 'utf8'), `${pkg}/src/${file}`).not.toContain('@idle-session/testing');
      }
    }
  });
});
