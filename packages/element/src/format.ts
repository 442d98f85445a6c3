type Unit = 'hour' | 'minute' | 'second';

function unit(locale: string, name: Unit, n: number): string {
  return new Intl.NumberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'long' }).format(n);
}

function join(locale: string, parts: string[]): string {
  return new Intl.ListFormat(locale, { type: 'unit', style: 'narrow' }).format(parts);
}

/**
 * Formats a countdown in words with `Intl`, plural-aware, rounded up to the whole second:
 * `"1 minute 59 seconds"`, `"2 minutes"`, `"20 seconds"`, `"0 seconds"` in English; `"1 Minute, 59 Sekunden"`
 * in German. Negative values count as zero.
 * @param ms - milliseconds left.
 * @param locale - a BCP 47 language tag; default `en`.
 */
export function formatCountdown(ms: number, locale = 'en'): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  if (minutes === 0) return unit(locale, 'second', seconds);
  return seconds === 0 ? unit(locale, 'minute', minutes) : join(locale, [unit(locale, 'minute', minutes), unit(locale, 'second', seconds)]);
}

/**
 * Formats a policy duration such as the idle timeout in words with `Intl`, rounded to the second:
 * `"15 minutes"`, `"1 hour"`, `"1 hour 30 minutes"`, `"6 seconds"` in English.
 * @param ms - a duration in milliseconds.
 * @param locale - a BCP 47 language tag; default `en`.
 */
export function formatDuration(ms: number, locale = 'en'): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const parts: string[] = [];
  if (hours) parts.push(unit(locale, 'hour', hours));
  if (minutes) parts.push(unit(locale, 'minute', minutes));
  if (seconds || parts.length === 0) parts.push(unit(locale, 'second', seconds));
  return join(locale, parts);
}
