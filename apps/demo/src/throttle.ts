import { isIPv4, isIPv6 } from 'node:net';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * The sample app's sign-in throttling (OWASP Authentication Cheat Sheet, "Protect Against Automated
 * Attacks"; rate-limiter-flexible's "login endpoint protection"):
 *
 * - **per username and client address**: 5 failed attempts within 15 minutes, then every attempt for that
 *   username from that address is refused for 15 minutes. A successful sign-in forgets the failures. Keyed
 *   by address too, so that nobody can lock a user out from elsewhere by failing on purpose;
 * - **per client address**: 100 failed attempts within an hour, whatever the usernames (password spraying),
 *   then every attempt from that address is refused for an hour.
 *
 * A refused attempt is answered `429` with `Retry-After`; its password is not even checked, and it counts
 * as no failure (retrying a refused username does not use up the address's limit). Each
 * attempt takes its point before the password is checked (one atomic step in memory), so parallel
 * attempts cannot get past a limit together; a successful sign-in gives its point back.
 *
 * In memory, per process: behind a load balancer, use rate-limiter-flexible's Redis limiter
 * (`RateLimiterRedis`) with the same options, so that every instance counts together.
 */
export const SIGN_IN_LIMITS = Object.freeze({
  perUsernameAndAddress: Object.freeze({ points: 5, duration: 15 * 60, blockDuration: 15 * 60 }),
  perAddress: Object.freeze({ points: 100, duration: 60 * 60, blockDuration: 60 * 60 }),
});

/** An attempt that may go on: report its outcome. */
export interface SignInAttempt {
  readonly allowed: true;
  /** The credentials were right: the username's failures are forgotten, and the address gets its point back. */
  succeeded(): Promise<void>;
}

/** An attempt refused by a limit: answer `429` with `Retry-After: retryAfterS`. */
export interface RefusedSignIn {
  readonly allowed: false;
  /** Whole seconds until an attempt may be made again (at least 1). */
  readonly retryAfterS: number;
}

/**
 * The address a limit counts by: an IPv4 address as it is (an IPv4-mapped IPv6 address as its IPv4 form),
 * an IPv6 address by its /64 network (one subscriber usually has a whole /64, and could otherwise
 * change address at every attempt), anything else as it is.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped && isIPv4(mapped)) return mapped;
  if (!isIPv6(ip)) return ip;
  const address = ip.split('%', 1)[0]!.toLowerCase(); // without a zone (fe80::1%eth0)
  // An embedded IPv4 address (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two groups, always the last two.
  const groups = (part: string) => (part === '' ? [] : part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group])));
  const [head = '', tail] = address.split('::');
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${all
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/** The username a limit counts by: what was typed, compared without case or Unicode compatibility differences. */
function usernameKey(username: unknown): string {
  return typeof username === 'string' ? username.normalize('NFKC').toLowerCase().slice(0, 200) : '';
}

/** Sign-in throttling for one process: see {@link SIGN_IN_LIMITS}. */
export class SignInThrottle {
  readonly #byUsernameAndAddress = new RateLimiterMemory({ keyPrefix: 'sign-in:username+address', ...SIGN_IN_LIMITS.perUsernameAndAddress });
  readonly #byAddress = new RateLimiterMemory({ keyPrefix: 'sign-in:address', ...SIGN_IN_LIMITS.perAddress });

  /**
   * Takes one attempt of `username` from the client at `ip` (`req.ip`, `ctx.ip`: behind a proxy, only as
   * trusted as the app's proxy setting). Call it only for a request that passed the CSRF check, and check
   * the password only when it is allowed; call `succeeded()` when the password was right.
   */
  async attempt(ip: string, username: unknown): Promise<SignInAttempt | RefusedSignIn> {
    const address = addressKey(ip);
    const user = JSON.stringify([usernameKey(username), address]);
    const limits = [
      [this.#byUsernameAndAddress, user],
      [this.#byAddress, address],
    ] as const;
    const results = await Promise.allSettled(limits.map(([limiter, key]) => limiter.consume(key)));
    const refusals = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    if (refusals.length > 0) {
      for (const refusal of refusals) if (!(refusal instanceof RateLimiterRes)) throw refusal;
      // A refused attempt checks no password: it is no failure for the limits that let it through.
      await Promise.all(limits.map(([limiter, key], i) => (results[i]!.status === 'fulfilled' ? limiter.reward(key) : undefined)));
      const waitMs = Math.max(...refusals.map((refusal) => (refusal as RateLimiterRes).msBeforeNext));
      return { allowed: false, retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    return {
      allowed: true,
      succeeded: async () => {
        await Promise.all([this.#byUsernameAndAddress.delete(user), this.#byAddress.reward(address)]);
      },
    };
  }
}
