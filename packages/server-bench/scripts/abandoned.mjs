// pnpm bench: sessions nobody comes back to do not pile up. 100 000 sessions signed in once and never
// requested again, in each embedded store an app is told to use:
//   (a) @idle-session/koa's MemoryStore given the policy (new MemoryStore({ policy: idle.policy })), with
//       its default markers of why sessions ended, and without any (maxEndedReasons: 0), and
//   (b) express-session on memorystore with the per-session TTL of @idle-session/express
//       (new (createMemoryStore(session))({ ttl: sessionTtl(idle.policy), checkPeriod })).
// Each store runs in a child process of its own (node --expose-gc), on the real clock with a 3 s idle
// timeout, and is driven through its own API with sessions shaped as the adapters store them. The heap
// (process.memoryUsage().heapUsed after global.gc()) is read at baseline (store made, code warmed up),
// after the sign-ins, and once their deadline (idle timeout + touchInterval) and one more sweep or check
// period have passed, without any request. Exits non-zero when a store's heap is not back within
// TOLERANCE of its baseline. Environment: ABANDONED_SESSIONS (default 100000).
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const SESSIONS = Number(process.env.ABANDONED_SESSIONS ?? 100_000);
const IDLE_MS = 3_000;
/** The sweep of the Koa store (its default: touchInterval, at least 1 s) and memorystore's checkPeriod. */
const SWEEP_MS = 1_000;
/**
 * What may stay: 2 MB or 10 % of the baseline, whichever is more, plus 256 bytes for each marker still
 * kept. The Koa store keeps by design a marker of why each of the latest ended sessions ended, for 24 h (its
 * key and one number, never the session's data; at most `maxEndedReasons`, 10 000 by default, about
 * 140 bytes each), so that a user who comes back is told why.
 */
const MARKER_BYTES = 256;
const toleranceOf = (baseline, markers) => Math.max(2 * 2 ** 20, 0.1 * baseline) + markers * MARKER_BYTES;
/** The key under which the adapters keep their record in the session (SESSION_KEY of @idle-session/core). */
const SESSION_KEY = 'idleSession';
const STORES = {
  koa: '@idle-session/koa MemoryStore({ policy })',
  'koa-no-markers': '@idle-session/koa MemoryStore({ policy, maxEndedReasons: 0 })',
  express: 'express-session + memorystore({ ttl: sessionTtl(policy) })',
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

async function heapUsed() {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve)); // let deferred callbacks run and drop their closures
    global.gc();
  }
  return process.memoryUsage().heapUsed;
}

/** The record the adapters write at sign-in (core's startRecord(now)). */
const record = (now) => ({ id: randomUUID(), createdAt: now, lastActivity: now });

/** A store of one kind, behind one interface: sign in (write a new session), destroy, and how many it holds. */
async function openStore(kind) {
  const quiet = console.warn;
  console.warn = () => {}; // the short warnBefore's WCAG advice is not news here
  try {
    if (kind.startsWith('koa')) {
      const { idleSession, MemoryStore } = await import('@idle-session/koa');
      const idle = idleSession({ idleTimeout: IDLE_MS });
      const store = new MemoryStore({ policy: idle.policy, ...(kind === 'koa-no-markers' ? { maxEndedReasons: 0 } : {}) });
      return {
        policy: idle.policy,
        // koa-session's external key and what it hands the store with maxAge: 'session'.
        signIn: (key) => store.set(key, { [SESSION_KEY]: record(idle.policy.clock.now()), user: 'bench', _session: true }),
        newKey: () => randomUUID(),
        destroy: (key) => store.destroy(key),
        held: () => ({ sessions: store.size, markers: store.endedReasonCount }),
        close: () => store.close(),
      };
    }
    const session = (await import('express-session')).default;
    const createMemoryStore = (await import('memorystore')).default;
    const { idleSession, sessionTtl } = await import('@idle-session/express');
    const idle = idleSession({ idleTimeout: IDLE_MS });
    const store = new (createMemoryStore(session))({ ttl: sessionTtl(idle.policy), checkPeriod: SWEEP_MS });
    const cookie = { originalMaxAge: null, expires: null, httpOnly: true, path: '/', sameSite: 'lax' };
    const call = (method, ...args) => new Promise((resolve, reject) => store[method](...args, (error, value) => (error ? reject(error) : resolve(value))));
    return {
      policy: idle.policy,
      // express-session's session id (24 random bytes, base64url) and the session it saves.
      signIn: (sid) => call('set', sid, { cookie: { ...cookie }, [SESSION_KEY]: record(idle.policy.clock.now()), user: 'bench' }),
      newKey: () => randomBytes(24).toString('base64url'),
      destroy: (sid) => call('destroy', sid),
      held: async () => ({ sessions: await call('length'), markers: 0 }),
      close: () => store.stopInterval(),
    };
  } finally {
    console.warn = quiet;
  }
}

async function runStore(kind) {
  const store = await openStore(kind);
  // Warm up the code paths (sign-in, sign-out) so that compiled code is not counted as sessions.
  for (let i = 0; i < 2_000; i++) {
    const key = store.newKey();
    await store.signIn(key);
    await store.destroy(key);
  }
  const baseline = await heapUsed();
  const started = Date.now();
  for (let i = 0; i < SESSIONS; i++) await store.signIn(store.newKey());
  const signedIn = Date.now() - started;
  const full = await heapUsed();
  const heldFull = await store.held();
  // The last session's deadline is the idle timeout plus touchInterval after its sign-in; by one sweep or
  // check period later (and a margin for the timer) every session must be gone, without any request.
  await sleep(started + signedIn + IDLE_MS + store.policy.touchInterval + SWEEP_MS + 250 - Date.now());
  const after = await heapUsed();
  const heldAfter = await store.held();
  store.close();
  return { kind, baseline, full, after, heldFull, heldAfter, signedIn, waited: Date.now() - started };
}

if (process.argv[2]) {
  const result = await runStore(process.argv[2]);
  process.send(result);
  process.disconnect();
} else {
  console.log(`\nSessions nobody comes back to: ${SESSIONS.toLocaleString('en')} sign-ins, never requested again; idle timeout ${IDLE_MS / 1000} s, sweep or check every ${SWEEP_MS / 1000} s, real clock\n`);
  console.log('| store | heap: baseline | after the sign-ins (sessions held) | after deadline + sweep (sessions, markers held) | left over | within tolerance |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  let failed = false;
  for (const kind of Object.keys(STORES)) {
    const child = fork(fileURLToPath(import.meta.url), [kind], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const result = await new Promise((resolve, reject) => {
      let message;
      child.once('message', (value) => (message = value));
      child.once('error', reject);
      child.once('exit', (code) => (message && code === 0 ? resolve(message) : reject(new Error(`${kind}: the child exited with ${code}`))));
    });
    const left = result.after - result.baseline;
    const tolerance = toleranceOf(result.baseline, result.heldAfter.markers);
    const ok = left <= tolerance && result.heldAfter.sessions === 0;
    failed ||= !ok;
    console.log(
      `| ${STORES[kind]} | ${mb(result.baseline)} | ${mb(result.full)} (${result.heldFull.sessions.toLocaleString('en')}) | ` +
        `${mb(result.after)} (${result.heldAfter.sessions}, ${result.heldAfter.markers.toLocaleString('en')}) | ` +
        `${left >= 0 ? '+' : ''}${mb(left)} | ${ok ? 'yes' : 'NO'} (≤ ${mb(tolerance)}) |`,
    );
  }
  console.log(`\nTolerance: 2 MB or 10 % of the baseline, whichever is more, plus ${MARKER_BYTES} bytes per marker kept (why one of the latest ended sessions ended, no session data; at most maxEndedReasons, for 24 h).`);
  if (failed) {
    console.error('\nabandoned sessions: a store still holds sessions, or its heap is not back within the tolerance of its baseline.');
    process.exit(1);
  }
}
