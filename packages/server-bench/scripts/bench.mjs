// pnpm bench: what idle-session adds to a server, as ratios measured in one run on this machine.
// Express, Koa and Fastify, each on its memory store and on Redis (a real redis-server started here), each
// as baseline (framework + session middleware alone) and with idle-session. Signed-in page requests from
// 100 sessions, 10 connections; runs alternate baseline / with, BENCH_ROUNDS rounds each (5), medians reported.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createClient } from 'redis';
import { startRedisServer } from '../../../scripts/redis-server.mjs';
import { pinLoadGenerator, signIn, startServer } from './servers.mjs';

pinLoadGenerator();

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
/** BENCH_ONLY=express:memory (framework:store, comma-separated) limits the server and profile tables (and the Redis commands table to those frameworks), for quick looks. */
const only = process.env.BENCH_ONLY?.split(',');
const SESSIONS = 100;
const FRAMEWORKS = ['express', 'koa', 'fastify'];
const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

const redisServer = await startRedisServer('pnpm bench');
const admin = await createClient({ url: redisServer.url }).connect();
process.on('exit', () => void redisServer.stop()); // also when a step fails
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1));

/** Calls per Redis command since the last reset (INFO commandstats). */
async function commandStats() {
  const info = await admin.info('commandstats');
  const stats = {};
  for (const [, name, calls] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (!['info', 'config'].includes(name)) stats[name] = Number(calls);
  return stats;
}

async function measure(env) {
  const server = await startServer({ ...env, REDIS_URL: redisServer.url });
  try {
    const cookies = await signIn(server.url, SESSIONS);
    let next = 0;
    const options = {
      url: server.url,
      connections: 10,
      requests: [{ method: 'GET', path: '/page', setupRequest: (request) => ({ ...request, headers: { ...request.headers, cookie: cookies[next++ % cookies.length] } }) }],
    };
    await autocannon({ ...options, duration: 1 }); // warm-up
    await admin.configResetStat();
    const cpuBefore = await server.cpuMicros();
    const result = await autocannon({ ...options, duration: SECONDS });
    const cpu = (await server.cpuMicros()) - cpuBefore;
    const requests = result.requests.total;
    const stats = await commandStats();
    return {
      cpuPerRequest: cpu / requests,
      rps: requests / SECONDS,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.non2xx + result.timeouts,
      commands: Object.fromEntries(Object.entries(stats).map(([name, calls]) => [name, calls / requests])),
    };
  } finally {
    await server.stop();
  }
}

const rows = [];
for (const framework of FRAMEWORKS) {
  for (const store of ['memory', 'redis']) {
    if (only && !only.includes(`${framework}:${store}`)) continue;
    const runs = { baseline: [], idle: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of ['baseline', 'idle']) runs[variant].push(await measure({ FRAMEWORK: framework, STORE: store, VARIANT: variant }));
    }
    const summary = (variant) => {
      const list = runs[variant];
      const commands = {};
      for (const run of list) for (const [name, perRequest] of Object.entries(run.commands)) commands[name] = (commands[name] ?? 0) + perRequest / list.length;
      return {
        cpu: median(list.map((r) => r.cpuPerRequest)),
        rps: median(list.map((r) => r.rps)),
        p50: median(list.map((r) => r.p50)),
        p99: median(list.map((r) => r.p99)),
        errors: list.reduce((sum, r) => sum + r.errors, 0),
        commands,
      };
    };
    rows.push({ framework, store, baseline: summary('baseline'), idle: summary('idle') });
  }
}

const fixed = (value, digits = 1) => value.toFixed(digits);
const commandText = (commands) =>
  Object.entries(commands)
    .filter(([name, perRequest]) => perRequest >= 0.005 && !/^(config|info)\b/.test(name))
    .map(([name, perRequest]) => `${name} ${fixed(perRequest, 2)}`)
    .join(', ') || '–';
console.log(`\nServer cost of idle-session (${SESSIONS} signed-in sessions, GET of a page, 10 connections, ${ROUNDS}×${SECONDS} s each, medians)\n`);
console.log('| framework | store | CPU µs/request: baseline → with (+added) | requests/s: baseline → with (ratio) | p50 ms | p99 ms | Redis commands per request: baseline → with | errors |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const { framework, store, baseline: b, idle: w } of rows) {
  console.log(
    `| ${framework} | ${store} | ${fixed(b.cpu)} → ${fixed(w.cpu)} (+${fixed(w.cpu - b.cpu)}) | ${fixed(b.rps, 0)} → ${fixed(w.rps, 0)} (×${fixed(w.rps / b.rps, 2)}) | ` +
      `${b.p50} → ${w.p50} | ${b.p99} → ${w.p99} | ${store === 'redis' ? `${commandText(b.commands)} → ${commandText(w.commands)}` : '–'} | ${b.errors + w.errors} |`,
  );
}

// The table above moves by tens of µs between runs on a small shared machine. A steadier figure: the share
// of the server's CPU profile samples spent in idle-session's own code (core, the adapter, the Redis
// store), under the same load, as µs of the measured CPU per request.
async function ownShare(env) {
  const dir = mkdtempSync(join(tmpdir(), 'idle-session-profile-'));
  const server = await startServer({ ...env, REDIS_URL: redisServer.url }, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  let perRequest = 0;
  try {
    const cookies = await signIn(server.url, SESSIONS);
    let next = 0;
    const before = await server.cpuMicros();
    const result = await autocannon({
      url: server.url,
      connections: 10,
      duration: 4,
      requests: [{ method: 'GET', path: '/page', setupRequest: (request) => ({ ...request, headers: { ...request.headers, cookie: cookies[next++ % cookies.length] } }) }],
    });
    perRequest = ((await server.cpuMicros()) - before) / result.requests.total;
  } finally {
    await server.stop();
  }
  const profile = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]), 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  // The adapter and core; the Redis store apart (it replaces connect-redis's or the Koa store's own work);
  // never the MemoryStore that the baseline uses too.
  const kind = (node) => {
    const url = node.callFrame.url;
    if (/\/packages\/redis\/dist\//.test(url)) return 'store';
    return /\/packages\/(core|express|koa|fastify)\/dist\//.test(url) && !url.endsWith('/memory-store.js') ? 'adapter' : null;
  };
  const owner = new Map(profile.nodes.map((node) => [node.id, kind(node)]));
  // Built-ins (JSON.stringify, Map lookups…) called straight from our code count as ours.
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) {
    const of = owner.get(node.id);
    if (!of) continue;
    for (const child of node.children ?? []) if (byId.get(child)?.callFrame.url === '') owner.set(child, of);
  }
  const idle = new Set(profile.nodes.filter((node) => ['(idle)', '(program)'].includes(node.callFrame.functionName)).map((node) => node.id));
  const own = { adapter: 0, store: 0 };
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    if (idle.has(id)) return;
    busy += delta;
    const of = owner.get(id);
    if (of) own[of] += delta;
  });
  return { adapter: own.adapter / busy, store: own.store / busy, perRequest };
}
console.log('\nidle-session\'s own code in a CPU profile of the server (self time, and of the built-ins it calls; 4 s, same load)\n');
console.log('| framework | store | adapter + core: share of busy samples, ≈ µs per request | Redis store (replaces the baseline store\'s work) |');
console.log('| --- | --- | --- | --- |');
for (const framework of FRAMEWORKS) {
  for (const store of ['memory', 'redis']) {
    if (only && !only.includes(`${framework}:${store}`)) continue;
    const { adapter, store: storeShare, perRequest: profiled } = await ownShare({ FRAMEWORK: framework, STORE: store, VARIANT: 'idle' });
    // The profiler slows the server down: convert shares with the unprofiled CPU per request of the table above.
    const perRequest = rows.find((row) => row.framework === framework && row.store === store)?.idle.cpu ?? profiled;
    const part = (share) => `${(share * 100).toFixed(1)} %, ${(share * perRequest).toFixed(1)} µs`;
    console.log(`| ${framework} | ${store} | ${part(adapter)} | ${store === 'redis' ? part(storeShare) : '–'} |`);
  }
}

// Store round trips per lifecycle step, counted exactly (INFO commandstats around one request).
async function countCommands(action) {
  await admin.configResetStat();
  await action();
  return commandText(await commandStats()).replaceAll(' 1.00', '') || '–';
}
console.log('\nRedis commands per step, with idle-session (idle timeout 1 s, touchInterval 0.4 s); EVALSHA is the one round trip of a conditional write, the commands after it run inside it\n');
console.log('| framework | sign-in | status | keep-alive (write) | sign-out | request that finds the session expired |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const framework of FRAMEWORKS) {
  if (only && !only.some((entry) => entry.startsWith(`${framework}:`))) continue;
  const server = await startServer({ FRAMEWORK: framework, STORE: 'redis', VARIANT: 'idle', REDIS_URL: redisServer.url, IDLE_TIMEOUT_MS: '1000', TOUCH_MS: '400' });
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  try {
    let cookie = '';
    const send = (method, path, headers = {}) => fetch(`${server.url}${path}`, { method, headers: { cookie, ...headers } }).then((r) => r.arrayBuffer());
    const signInStep = await countCommands(async () => {
      [cookie] = await signIn(server.url, 1);
    });
    const status = await countCommands(() => send('GET', '/idle-session/status'));
    await wait(450); // past touchInterval: the keep-alive writes
    const keepAlive = await countCommands(() => send('POST', '/idle-session/keepalive', { 'x-idle-session': '1' }));
    [cookie] = await signIn(server.url, 1);
    const signOut = await countCommands(() => send('POST', '/sign-out'));
    [cookie] = await signIn(server.url, 1);
    await wait(1_100); // past the idle deadline, before the key's TTL (idle timeout + touchInterval) ends
    const expiry = await countCommands(() => send('GET', '/page'));
    console.log(`| ${framework} | ${signInStep} | ${status} | ${keepAlive} | ${signOut} | ${expiry} |`);
  } finally {
    await server.stop();
  }
}

await admin.quit();
await redisServer.stop();
