/**
 * Throws when the process runs with `NODE_ENV=production`: every server-side helper of this package
 * moves time or ends sessions on request, and must never be reachable in production.
 *
 * @param what - the helper that refuses, for the message, e.g. `"testControls()"`.
 * @throws Error naming `what` and the reason, when `process.env.NODE_ENV === 'production'`.
 */
export function assertNotProduction(what: string): void {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env?.NODE_ENV === 'production') {
    throw new Error(
      `@idle-session/testing: ${what} refuses to start because NODE_ENV is "production". ` +
        "It moves the server's clock and ends sessions on request, for tests only: create it only in your tests' set-up, never in the app that ships.",
    );
  }
}
