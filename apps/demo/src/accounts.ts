import { timingSafeEqual } from 'node:crypto';

/** The sample app's one account. Real apps check a password hash; the demo compares in constant time. */
export const DEMO_ACCOUNT = Object.freeze({ username: 'demo', password: 'demo' });

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Whether the submitted credentials are the demo account's. Non-string input is refused. */
export function checkCredentials(username: unknown, password: unknown): boolean {
  if (typeof username !== 'string' || typeof password !== 'string') return false;
  return same(username, DEMO_ACCOUNT.username) && same(password, DEMO_ACCOUNT.password);
}
