import { bench, describe } from 'vitest';
import { checkKeepAliveOrigin, createPolicy, parseStatusBody, planRequest, startRecord, statusResponse } from '../src/index.js';

// The per-request cost of the protocol: what every request of a tracked session pays in an adapter.
const policy = createPolicy({ idleTimeout: 900_000, absoluteTimeout: 28_800_000 });
const t0 = 1_700_000_000_000;
const record = startRecord(t0);
const body = JSON.parse(JSON.stringify(statusResponse(planRequest(record, policy, t0 + 1000, 'passive').evaluation, policy).body));
const headers: Record<string, string> = { 'x-idle-session': '1', 'sec-fetch-site': 'same-origin' };

describe('core per-request cost', () => {
  bench('planRequest: ordinary request inside touchInterval (no write)', () => {
    planRequest(record, policy, t0 + 1000, 'activity');
  });
  bench('planRequest: keep-alive (write)', () => {
    planRequest(record, policy, t0 + 1000, 'keepalive');
  });
  bench('planRequest: tampered record (fail closed)', () => {
    planRequest({ createdAt: 'x', lastActivity: t0 }, policy, t0, 'activity');
  });
  bench('parseStatusBody: active body', () => {
    parseStatusBody(body);
  });
  bench('checkKeepAliveOrigin', () => {
    checkKeepAliveOrigin((name) => headers[name]);
  });
});

