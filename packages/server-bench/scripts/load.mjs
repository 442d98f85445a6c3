// pnpm bench, part 2: a load run of two instances on one Redis, for each framework (Express, Koa, Fastify).
// 1,000 signed-in sessions for 60 s: half stay active (page requests and keep-alives, status checks
// between), half go quiet at a random moment and are then checked with status requests (which are never
// activity): just before their idle deadline less touchInterval they must be active (not ended early),
// and from their idle deadline on they must be expired (never late). Requests alternate at random
// between the two instances. Loopback only; bounded in count and time.
import { createClient } from 'redis';
import { startRedisServer } from '../../../scripts/redis-server.mjs';
import { pinLoadGenerator, signIn, startServer } from './servers.mjs';

const SESSIONS = Number(process.env.LOAD_SESSIONS ?? 1_000);
const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
/** LOAD_FRAMEWORKS=fastify (comma-separated) limits the run to those frameworks, for quick looks. */
const FRAMEWORKS = process.env.LOAD_FRAMEWORKS?.split(',') ?? ['express', 'koa', 'fastify'];
const IDLE_MS = 20_000;
const TOUCH_MS = 1_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = (list) => list[Math.floor(Math.random() * list.length)];
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

pinLoadGenerator();
const redisServer = await startRedisServer('pnpm bench (load run)');
process.on('exit', () => void redisServer.stop());
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1));

async function run(framework) {
  const env = { FRAMEWORK: framework, STORE: 'redis', VARIANT: 'idle', REDIS_URL: redisServer.url, IDLE_TIMEOUT_MS: String(IDLE_MS), TOUCH_MS: String(TOUCH_MS) };
  const servers = [await startServer(env), await startServer(env)];
  const latencies = { page: [], status: [], keepalive: [] };
  const failures = [];
  let requests = 0;
  const send = async (kind, cookie) => {
    const server = pick(servers);
    const path = kind === 'page' ? '/page' : `/idle-session/${kind}`;
    const headers = kind === 'keepalive' ? { cookie, 'x-idle-session': '1' } : { cookie };
    const sentAt = Date.now();
    const response = await fetch(`${server.url}${path}`, { method: kind === 'keepalive' ? 'POST' : 'GET', headers });
    const body = await response.json();
    const receivedAt = Date.now();
    requests++;
    latencies[kind].push(receivedAt - sentAt);
    return { status: response.status, body, sentAt, receivedAt };
  };

  // Sign in through both instances (Redis sessions, cookies signed with one secret). A
  // sign-in is the session's first activity: its times count as the last activity until a later one.
  const signedIn = [];
  for (let i = 0; i < SESSIONS; i++) {
    const sentAt = Date.now();
    const [cookie] = await signIn(servers[i % 2].url, 1);
    signedIn.push({ cookie, sentAt, receivedAt: Date.now() });
  }
  const start = Date.now();
  const end = start + SECONDS * 1_000;
  const verdicts = { early: 0, late: 0, lostReason: 0, checked: 0 };

  async function session({ cookie, sentAt, receivedAt }, leavesAt) {
    let lastActivity = { sentAt, receivedAt };
    await sleep(Math.random() * 2_000);
    while (Date.now() < Math.min(end, leavesAt ?? end)) {
      const quiet = Date.now() - lastActivity.receivedAt;
      const kind = quiet > 5_000 || Math.random() < 0.7 ? pick(['page', 'page', 'keepalive']) : 'status';
      try {
        const answer = await send(kind, cookie);
        const alive = kind === 'page' ? answer.status === 200 && answer.body.user === 'bench' : answer.status === 200 && answer.body.state === 'active';
        if (!alive) failures.push(`${kind} of an active session answered ${answer.status} ${JSON.stringify(answer.body)}`);
        else if (kind !== 'status') lastActivity = answer;
      } catch (error) {
        failures.push(`${kind}: ${error.message}`);
      }
      await sleep(1_000 + Math.random() * 2_000);
    }
    if (leavesAt === undefined) return;
    // Quiet from now on: its last activity was sent at lastActivity.sentAt and answered at lastActivity.receivedAt.
    verdicts.checked++;
    await sleep(Math.max(0, lastActivity.sentAt + IDLE_MS - TOUCH_MS - 100 - Date.now()));
    const before = await send('status', cookie);
    const times = () => `last activity sent at +${lastActivity.sentAt - start} ms, answered at +${lastActivity.receivedAt - start} ms`;
    if (before.body.state !== 'active' && before.sentAt < lastActivity.sentAt + IDLE_MS - TOUCH_MS) {
      verdicts.early++;
      failures.push(`ended early: status sent at +${before.sentAt - start} ms answered ${before.status} ${JSON.stringify(before.body)}; ${times()}`);
    }
    await sleep(Math.max(0, lastActivity.receivedAt + IDLE_MS - Date.now()) + 1);
    const after = await send('status', cookie);
    if (after.body.state === 'active') {
      verdicts.late++;
      failures.push(`late: status sent at +${after.sentAt - start} ms answered ${JSON.stringify(after.body)}; ${times()}`);
    } else if (after.body.state !== 'expired' || after.body.reason !== 'idle') {
      verdicts.lostReason++;
      failures.push(`no reason: status sent at +${after.sentAt - start} ms answered ${after.status} ${JSON.stringify(after.body)}; ${times()}`);
    }
  }

  await Promise.all(signedIn.map((each, i) => session(each, i % 2 ? start + 5_000 + Math.random() * 25_000 : undefined)));
  const elapsed = (Date.now() - start) / 1_000;
  await Promise.all(servers.map((server) => server.stop()));
  const row = (kind) => {
    const sorted = latencies[kind].sort((a, b) => a - b);
    return `${kind} ${sorted.length} (p50 ${percentile(sorted, 50)} ms, p99 ${percentile(sorted, 99)} ms)`;
  };
  const errors = failures.filter((failure) => !/^(ended early|late|no reason):/.test(failure)).length;
  console.log(
    `| ${framework} | ${SESSIONS} | ${elapsed.toFixed(0)} s | ${requests} | ${row('page')}; ${row('status')}; ${row('keepalive')} | ${errors} | ` +
      `${verdicts.checked} checked: ${verdicts.early} ended early, ${verdicts.late} late, ${verdicts.lostReason} without the reason |`,
  );
  for (const failure of failures.slice(0, 5)) console.log(`  failure: ${failure}`);
  return failures.length;
}

console.log(`\nLoad run: two instances on one Redis, idle timeout ${IDLE_MS / 1000} s, touchInterval ${TOUCH_MS / 1000} s, requests spread at random over both\n`);
console.log('| framework | sessions | duration | requests | by kind | errors | sessions that went quiet |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
let problems = 0;
for (const framework of FRAMEWORKS) problems += await run(framework);
const admin = await createClient({ url: redisServer.url }).connect();
console.log(`\nRedis afterwards: ${await admin.dbSize()} keys (sessions and ended marks expire by their TTL).`);
await admin.quit();
await redisServer.stop();
if (problems > 0) {
  console.error(`load run: ${problems} problems (see above)`);
  process.exitCode = 1;
}
