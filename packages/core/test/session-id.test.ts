import { describe, expect, it } from 'vitest';
import {
  activityForSession,
  endpointResponse,
  namedSessionId,
  routeRequest,
  SESSION_ID_HEADER,
  setUpAdapter,
  startRecord,
  statusResponse,
  type AuditEvent,
  type Clock,
  type SessionRoute,
} from '../src/index.js';

const T = 60_000;
const TOUCH = 10_000;
const t0 = 1_700_000_000_000;
const headers =
  (values: Record<string, string>) =>
  (name: string): string | undefined =>
    values[name];

describe('SESSION_ID_HEADER: a keep-alive extends only the session it names', () => {
  it('is X-Idle-Session-Id; absent or empty names no session, anything else is kept as sent', () => {
    expect(SESSION_ID_HEADER).toBe('X-Idle-Session-Id');
    expect(namedSessionId(headers({}))).toBeNull();
    expect(namedSessionId(headers({ 'x-idle-session-id': '' }))).toBeNull();
    expect(namedSessionId(headers({ 'x-idle-session-id': 'r1' }))).toBe('r1');
    expect(namedSessionId(headers({ 'x-idle-session-id': 'x'.repeat(101) }))).toBe('x'.repeat(101));
  });

  it('activityForSession: only a keep-alive naming another session stops counting', () => {
    const record = startRecord(t0, 'r1');
    expect(activityForSession('keepalive', record, null)).toBe('keepalive'); // names none
    expect(activityForSession('keepalive', record, 'r1')).toBe('keepalive'); // names this one
    expect(activityForSession('keepalive', record, 'r2')).toBe('passive'); // names another
    expect(activityForSession('keepalive', record, 'R1')).toBe('passive'); // exact match only
    expect(activityForSession('keepalive', record, 'r1'.padEnd(101, 'x'))).toBe('passive'); // over-long: never a session id
    expect(activityForSession('keepalive', { createdAt: t0, lastActivity: t0 }, 'r1')).toBe('passive'); // a record without id matches nothing
    expect(activityForSession('keepalive', undefined, 'r1')).toBe('passive'); // no session: nothing to extend anyway
    expect(activityForSession('activity', record, 'r2')).toBe('activity'); // only keep-alives name a session
    expect(activityForSession('passive', record, 'r1')).toBe('passive');
  });

  it('routeRequest takes the named session from a keep-alive only', () => {
    const options = { prefix: '/idle-session', isActivity: () => true };
    const sent = { 'x-idle-session': '1', 'x-idle-session-id': 'r1' };
    expect(routeRequest(options, {}, 'POST', '/idle-session/keepalive', headers(sent))).toEqual({ endpoint: 'keepalive', activity: 'keepalive', forSession: 'r1' });
    expect(routeRequest(options, {}, 'POST', '/idle-session/keepalive', headers({ ...sent, 'x-idle-session-id': '' }))).toMatchObject({ forSession: null });
    expect(routeRequest(options, {}, 'GET', '/idle-session/status', headers(sent))).toEqual({ endpoint: 'status', activity: 'passive', forSession: null });
    expect(routeRequest(options, {}, 'GET', '/page', headers(sent))).toEqual({ endpoint: null, activity: 'activity', forSession: null });
  });

  describe("setUpAdapter's plan", () => {
    function adapter() {
      const clock: Clock & { current: number } = { current: t0, now: () => clock.current };
      const events: AuditEvent[] = [];
      const setup = setUpAdapter<object>({ idleTimeout: T, warnBefore: 20_000, touchInterval: TOUCH, clock, audit: (event) => events.push(event) });
      return { clock, events, setup };
    }
    const keepAlive = (forSession: string | null): SessionRoute => ({ endpoint: 'keepalive', activity: 'keepalive', forSession });
    const status: SessionRoute = { endpoint: 'status', activity: 'passive', forSession: null };
    const request = { method: 'POST', url: '/idle-session/keepalive' };

    it('extends the named session, or any when none is named', async () => {
      const { clock, setup, events } = adapter();
      const record = startRecord(t0, 'r1');
      clock.current = t0 + 30_000;
      for (const named of ['r1', null]) {
        const plan = await setup.plan(record, keepAlive(named));
        expect(plan.write).toEqual({ id: 'r1', createdAt: t0, lastActivity: clock.current });
        expect(plan.evaluation).toMatchObject({ state: 'active', idleRemainingMs: T, sessionId: 'r1' });
        expect(plan.otherSession).toBeUndefined();
        setup.reportKeepAlive(request, plan, plan.write);
        clock.current += TOUCH;
      }
      expect(events.map((event) => [event.type, event.reason])).toEqual([
        ['extended', null],
        ['extended', null],
      ]);
    });

    it('plans a keep-alive for another session exactly like the status endpoint: no write, the same answer, refused in the audit', async () => {
      const { clock, setup, events } = adapter();
      const record = startRecord(t0, 'r2');
      clock.current = t0 + 30_000;
      const plan = await setup.plan(record, keepAlive('r1'));
      const asStatus = await setup.plan(record, status);
      expect(plan.write).toBeNull();
      expect(plan.otherSession).toBe(true);
      expect(plan.evaluation).toEqual(asStatus.evaluation);
      expect(plan.evaluation).toMatchObject({ state: 'active', idleRemainingMs: T - 30_000, sessionId: 'r2' });
      expect(setup.ledger.latestActivity('r2', clock.current)).toBeNull(); // no activity noted either
      expect(endpointResponse('keepalive', plan.evaluation, setup.policy)).toEqual(statusResponse(asStatus.evaluation, setup.policy));
      setup.reportKeepAlive(request, plan, record);
      expect(events).toEqual([expect.objectContaining({ type: 'refused', reason: 'other-session', sessionId: 'r2' })]);
    });

    it('answers a keep-alive for another session as today when there is no active session: 401 none or expired', async () => {
      const { clock, setup } = adapter();
      const { policy } = setup;
      const none = await setup.plan(undefined, keepAlive('r1'));
      expect(endpointResponse('keepalive', none.evaluation, policy)).toMatchObject({ status: 401, body: { state: 'none' } });
      clock.current = t0 + T;
      const expired = await setup.plan(startRecord(t0, 'r2'), keepAlive('r1'));
      expect(expired.expire).toMatchObject({ reason: 'idle' });
      expect(endpointResponse('keepalive', expired.evaluation, policy)).toMatchObject({ status: 401, body: { state: 'expired', reason: 'idle' } });
    });
  });
});
