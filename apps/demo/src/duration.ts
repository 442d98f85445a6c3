/**
 * "15 minutes", "1 hour 30 minutes", "6 seconds": a duration in milliseconds as English words for the
 * sample app's messages, largest units first, at most two units.
 */
export function describeDuration(ms: number): string {
  const units: [string, number][] = [
    ['hour', 3_600_000],
    ['minute', 60_000],
    ['second', 1000],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(ms / 1000) * 1000);
  for (const [name, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 && parts.length < 2) parts.push(`${count} ${name}${count === 1 ? '' : 's'}`);
  }
  return parts.length > 0 ? parts.join(' ') : '0 seconds';
}
