import { describe, expect, it } from 'vitest';
import {
  createPolicy,
  endedReasonNow,
  hasBody,
  heartbeatMs,
  mayBeHeldElsewhere,
  planRequest,
  planRequestEnd,
  SessionEndedError,
  SessionLedger,
  setUpAdapter,
  startRecord,
  STORE_KEY_OF,
  storeKeyOf,
  type SharedEndings,
} from '../src/index.js';

const T = 60_000;
const TOUCH = 10_000;
const t0 = 1_700_000_000_000;
const policy = createPolicy({ idleTimeout: T, warnBefore: 20_000, touchInterval: TOUCH, absoluteTimeout: 300_000 });

describe('requests in flight (a long upload is activity for as long as it runs)', () => {
  it('a session with a request in flight is never idle-expired, and has a whole idle timeout left', () => {
    const ledger = new SessionLedger(T);
    const record = startRecord(t0, 'r1');
    ledger.beginRequest('r1');
    for (const at of [T, 3 * T]) {
      expect(planRequest(record, policy, t0 + at, 'passive', ledger)).toMatchObject({ expire: null, evaluation: { state: 'active', idleRemainingMs: T } });
    }
    ledger.endRequest('r1');
    expect(planRequest(record, policy, t0 + 3 * T, 'passive', ledger).expire).toMatchObject({ reason: 'idle' });
  });

  it('counts parallel requests: the hold ends with the last of them', () => {
    const ledger = new SessionLedger(T);
    ledger.beginRequest('r1');
    ledger.beginRequest('r1');
    ledger.endRequest('r1');
    expect(ledger.hasRequestInFlight('r1')).toBe(true);
    ledger.endRequest('r1');
    expect(ledger.hasRequestInFlight('r1')).toBe(false);
    ledger.endRequest('r1'); // an extra end never goes negative
    ledger.beginRequest('r1');
    expect(ledger.hasRequestInFlight('r1')).toBe(true);
  });

  it('never holds a session past its absolute deadline, nor one that was ended', () => {
    const ledger = new SessionLedger(T);
    const record = startRecord(t0, 'r1');
    ledger.beginRequest('r1');
    expect(planRequest(record, policy, t0 + 300_000, 'passive', ledger).expire).toMatchObject({ reason: 'absolute' });
    ledger.end('r1', t0 + 1_000);
    expect(planRequest(record, policy, t0 + 2_000, 'activity', ledger).discard).toBe(true);
  });

  it('a hold does not stop other requests from writing within their write budget', () => {
    const ledger = new SessionLedger(T);
    const record = startRecord(t0, 'r1');
    ledger.beginRequest('r1');
    expect(planRequest(record, policy, t0 + TOUCH - 1, 'keepalive', ledger).write).toBeNull();
    expect(planRequest(record, policy, t0 + TOUCH, 'keepalive', ledger).write).toEqual({ id: 'r1', createdAt: t0, lastActivity: t0 + TOUCH });
  });

  it('planRequestEnd: the end of a long request writes last-activity at its end, once, within the write budget', () => {
    const ledger = new SessionLedger(T);
    const record = startRecord(t0, 'r1');
    ledger.beginRequest('r1');
    ledger.beginRequest('r1');
    ledger.endRequest('r1');
    expect(planRequestEnd(record, policy, t0 + 2 * T, ledger)).toBeNull(); // the other one is still running: it writes
    ledger.endRequest('r1');
    expect(planRequestEnd(record, policy, t0 + 2 * T, ledger)).toEqual({ id: 'r1', createdAt: t0, lastActivity: t0 + 2 * T });
    expect(planRequestEnd(record, policy, t0 + 2 * T + 1, ledger)).toBeNull(); // written just now (the ledger knows)
    expect(planRequestEnd(record, policy, t0 + 1, new SessionLedger(T))).toBeNull(); // a short request: nothing due
    expect(planRequestEnd(record, policy, t0 + 300_000, new SessionLedger(T))).toBeNull(); // past the absolute deadline
    expect(planRequestEnd({ endedReason: 'idle' }, policy, t0, ledger)).toBeNull();
  });

  it('endedReasonNow says why a request can no longer save: signed out, idle, absolute, or no session', () => {
    const ledger = new SessionLedger(T);
    const record = startRecord(t0, 'r1');
    expect(endedReasonNow(record, policy, t0 + 1_000, ledger)).toBeNull();
    expect(endedReasonNow(record, policy, t0 + T, ledger)).toBe('idle');
    ledger.beginRequest('r1');
    expect(endedReasonNow(record, policy, t0 + T, ledger)).toBeNull(); // still running: still active
    expect(endedReasonNow(record, policy, t0 + 300_000, ledger)).toBe('absolute');
    ledger.end('r1', t0 + 2_000);
    expect(endedReasonNow(record, policy, t0 + 2_000, ledger)).toBe('signed-out');
    // Signed out while a request that began long after the stored last activity still runs: signed out, not idle.
    expect(endedReasonNow(record, policy, t0 + T + 1_000, ledger)).toBe('signed-out');
    expect(endedReasonNow(undefined, policy, t0, ledger)).toBe('none');
    expect(endedReasonNow({ endedReason: 'absolute' }, policy, t0, ledger)).toBe('absolute');
  });

  it('SessionEndedError carries the reason, status 401, and a message that says nothing was saved', () => {
    const error = new SessionEndedError('signed-out');
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'SessionEndedError', reason: 'signed-out', status: 401, expose: true });
    expect(error.message).toMatch(/nothing was saved/);
  });

  it('hasBody: a Content-Length above 0 or any Transfer-Encoding', () => {
    expect(hasBody({ 'content-length': '150000' })).toBe(true);
    expect(hasBody({ 'transfer-encoding': 'chunked' })).toBe(true);
    expect(hasBody({ 'content-length': '0' })).toBe(false);
    expect(hasBody({ 'content-length': 'abc' })).toBe(false);
    expect(hasBody({})).toBe(false);
  });

  it('heartbeatMs: the touch interval, between 1 and 15 seconds', () => {
    expect(heartbeatMs({ touchInterval: 10_000 })).toBe(10_000);
    expect(heartbeatMs({ touchInterval: 0 })).toBe(1_000);
    expect(heartbeatMs({ touchInterval: 60_000 })).toBe(15_000);
  });

  it('mayBeHeldElsewhere: asked before an idle expiry, and before a status with a stale last activity', () => {
    const record = startRecord(t0, 'r1');
    expect(mayBeHeldElsewhere(planRequest(record, policy, t0 + T, 'activity'), 'activity', policy)).toBe(true);
    const busy = { ...record, lastActivity: t0 + 290_000 };
    expect(mayBeHeldElsewhere(planRequest(busy, policy, t0 + 300_000, 'passive'), 'passive', policy)).toBe(false); // absolute: nothing holds it
    expect(mayBeHeldElsewhere(planRequest(record, policy, t0 + 30_000, 'passive'), 'passive', policy)).toBe(true);
    expect(mayBeHeldElsewhere(planRequest(record, policy, t0 + 5_000, 'passive'), 'passive', policy)).toBe(false);
    expect(mayBeHeldElsewhere(planRequest(record, policy, t0 + 30_000, 'activity'), 'activity', policy)).toBe(false);
  });

  it('storeKeyOf: asks a store that says how it keys sessions, else undefined', () => {
    expect(storeKeyOf({ [STORE_KEY_OF]: (id: string) => `sess:${id}` }, 'abc')).toBe('sess:abc');
    expect(storeKeyOf({}, 'abc')).toBeUndefined();
    expect(storeKeyOf(undefined, 'abc')).toBeUndefined();
    expect(storeKeyOf({ [STORE_KEY_OF]: () => 'x' }, undefined)).toBeUndefined();
  });

  it("setUpAdapter's holdRequest tells other instances at once when announced, and lets go once settled", async () => {
    const calls: string[] = [];
    const shared: SharedEndings = {
      markEnded: async () => {},
      hasEnded: async () => false,
      holdActive: async (id, leaseMs, keep) => void calls.push(`hold ${id} ${leaseMs} ${keep?.key} ${keep?.ttlMs}`),
      isHeldActive: async () => true,
      releaseActive: async (id) => void calls.push(`release ${id}`),
    };
    const setup = setUpAdapter({ idleTimeout: T, warnBefore: 20_000, touchInterval: TOUCH, shared });
    const record = startRecord(t0, 'r1');
    const quiet = setup.holdRequest(record);
    expect(setup.ledger.hasRequestInFlight('r1')).toBe(true);
    quiet.settled();
    expect(calls).toEqual([]); // a short request: nobody was told, so nothing to take back
    const upload = setup.holdRequest(record, { storeKey: 'sess:1', announce: true });
    expect(calls).toEqual([`hold r1 ${3 * TOUCH} sess:1 ${T + TOUCH}`]);
    upload.end();
    expect(setup.ledger.hasRequestInFlight('r1')).toBe(false);
    upload.settled();
    upload.settled();
    expect(calls).toEqual([`hold r1 ${3 * TOUCH} sess:1 ${T + TOUCH}`, 'release r1']);
    expect(setup.sharesActivity).toBe(true);
    expect(await setup.learnHeldActive(record)).toBe(true);
    await expect(setup.confirmActive(record)).resolves.toBeUndefined();
    await expect(setup.confirmActive(undefined)).rejects.toMatchObject({ reason: 'none' });
  });
});
