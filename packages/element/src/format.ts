function unit(n: number, singular: string): string {
  return `${n} ${singular}${n === 1 ? '' : 's'}`;
}

/**
 * Formats a countdown in words, rounded up to the whole second: `"1 minute 59 seconds"`,
 * `"2 minutes"`, `"20 seconds"`, `"0 seconds"`. Negative values count as zero.
 * @param ms - milliseconds left.
 */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  if (minutes === 0) return unit(seconds, 'second');
  return seconds === 0 ? unit(minutes, 'minute') : `${unit(minutes, 'minute')} ${unit(seconds, 'second')}`;
}

/**
 * Formats a policy duration such as the idle timeout in words, rounded to the second:
 * `"15 minutes"`, `"1 hour"`, `"1 hour 30 minutes"`, `"6 seconds"`, `"1 minute 30 seconds"`.
 * @param ms - a duration in milliseconds.
 */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const parts: string[] = [];
  if (hours) parts.push(unit(hours, 'hour'));
  if (minutes) parts.push(unit(minutes, 'minute'));
  if (seconds || parts.length === 0) parts.push(unit(seconds, 'second'));
  return parts.join(' ');
}
