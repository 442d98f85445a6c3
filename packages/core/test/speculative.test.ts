import { describe, expect, it } from 'vitest';
import { isSpeculative } from '../src/index.js';

const from = (headers: Record<string, string>) => (name: string) => headers[name];

describe('isSpeculative: requests the user did not make', () => {
  it.each<Record<string, string>>([
    { 'sec-purpose': 'prefetch' },
    { 'sec-purpose': 'prefetch;prerender' },
    { 'sec-purpose': 'PREFETCH; anonymous-client-ip' },
    { purpose: 'prefetch' },
    { purpose: ' Prefetch ' },
    { 'x-purpose': 'preview' },
    { 'x-purpose': 'prefetch' },
    { 'x-moz': 'prefetch' },
  ])('%j is speculative', (headers) => {
    expect(isSpeculative(from(headers))).toBe(true);
  });

  it.each<Record<string, string>>([{}, { 'sec-purpose': '' }, { 'sec-purpose': 'prefetchable' }, { purpose: 'navigate' }, { 'x-moz': 'other' }, { 'sec-fetch-mode': 'navigate' }])(
    '%j is not',
    (headers) => {
      expect(isSpeculative(from(headers))).toBe(false);
    },
  );
});
