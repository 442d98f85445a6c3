import { expect } from '@open-wc/testing';
import { formatCountdown, formatDuration } from '../src/format.js';
import { keepAliveIntervalMs } from '../src/idle-session-warning.js';

describe('format', () => {
  it('formats countdowns in minutes and seconds, rounding up', () => {
    expect(formatCountdown(120_000)).to.equal('2 minutes');
    expect(formatCountdown(119_001)).to.equal('2 minutes');
    expect(formatCountdown(119_000)).to.equal('1 minute 59 seconds');
    expect(formatCountdown(61_000)).to.equal('1 minute 1 second');
    expect(formatCountdown(20_000)).to.equal('20 seconds');
    expect(formatCountdown(0)).to.equal('0 seconds');
    expect(formatCountdown(-5)).to.equal('0 seconds');
  });

  it('formats policy durations', () => {
    expect(formatDuration(15 * 60_000)).to.equal('15 minutes');
    expect(formatDuration(60_000)).to.equal('1 minute');
    expect(formatDuration(6_000)).to.equal('6 seconds');
    expect(formatDuration(3_600_000)).to.equal('1 hour');
    expect(formatDuration(5_400_000)).to.equal('1 hour 30 minutes');
  });

  it('derives the keep-alive interval from the policy', () => {
    expect(keepAliveIntervalMs({ idleTimeoutMs: 15 * 60_000, warnBeforeMs: 120_000 })).to.equal(60_000);
    expect(keepAliveIntervalMs({ idleTimeoutMs: 90_000, warnBeforeMs: 30_000 })).to.equal(20_000);
    expect(keepAliveIntervalMs({ idleTimeoutMs: 6_000, warnBeforeMs: 3_000 })).to.equal(1_000);
  });
});
