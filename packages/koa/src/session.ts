import { SKIP_FORCED_SAVE, writesConditionally } from '@idle-session/core';
import type { Context } from 'koa';

/** The parts of a koa-session `Session` object the adapter uses. */
export interface KoaSession {
  [key: string]: unknown;
  toJSON(): Record<string, unknown>;
  regenerate(): Promise<void>;
  readonly externalKey?: string | undefined;
}

/** A koa-session external store (`store` option). */
export interface KoaSessionStore {
  get(key: string, maxAge: unknown, options: { rolling: boolean; ctx: Context }): unknown;
  set(key: string, session: unknown, maxAge: unknown, options: { rolling: boolean; changed: boolean; ctx: Context }): unknown;
  destroy(key: string, options: { ctx: Context }): unknown;
  /**
   * Optional: keeps the session under `key` stored while a request of it runs, for a store that removes
   * sessions at their deadline by itself (see `MemoryStore.idleSessionHold`); returns the release, which
   * the adapter calls when the request ends, before the session is written.
   */
  idleSessionHold?(key: string): () => void;
}

/** The per-request options koa-session keeps on the context. */
interface SessionOptions {
  maxAge?: unknown;
  rolling?: boolean;
  store?: KoaSessionStore;
}

type SessionContext = Context & { session?: KoaSession | null; sessionOptions?: SessionOptions };

/**
 * Said once per middleware when a request reaches idle-session without koa-session's context: it is
 * treated as having no session.
 */
export const MISSING_SESSION_WARNING =
  'idle-session: a request arrived without koa-session (ctx.sessionOptions is missing); it is treated as having no session. ' +
  'Mount koa-session before idle-session: app.use(session({ maxAge: "session", ... }, app)); app.use(idleSession({ ... })).';

/** Whether koa-session runs for this request (it gives every context its `sessionOptions`). */
export function hasSessionMiddleware(ctx: Context): boolean {
  return (ctx as SessionContext).sessionOptions !== undefined;
}

/** koa-session's options for this request, or an error that says how to mount koa-session first. */
export function sessionOptions(ctx: Context): SessionOptions {
  const options = (ctx as SessionContext).sessionOptions;
  if (!options) {
    throw new Error(
      'idle-session: ctx.session is missing. Mount koa-session before idle-session: ' +
        'app.use(session({ maxAge: "session", ... }, app)); app.use(idleSession({ ... })).',
    );
  }
  return options;
}

/** `ctx.session` (created if needed by koa-session), or `null` after the app set it to null. */
export function sessionOf(ctx: Context): KoaSession | null {
  sessionOptions(ctx);
  return (ctx as SessionContext).session ?? null;
}

/**
 * Replaces the request's session with one holding `data`, under a new key (store) and cookie. With a
 * store that writes conditionally, the new session is written once, at the end of the request, instead
 * of also at once by koa-session's `regenerate()` (see `SKIP_FORCED_SAVE`).
 */
export async function replaceSession(ctx: Context, data: Record<string, unknown>): Promise<void> {
  (ctx as SessionContext).session = data as KoaSession;
  const skip = writesConditionally(sessionOptions(ctx).store);
  if (skip) (ctx as unknown as Record<symbol, unknown>)[SKIP_FORCED_SAVE] = true;
  try {
    await (ctx as SessionContext).session!.regenerate();
  } finally {
    if (skip) delete (ctx as unknown as Record<symbol, unknown>)[SKIP_FORCED_SAVE];
  }
}

/** Ends the request's session: koa-session removes it from the store and clears the cookie. */
export function dropSession(ctx: Context): void {
  (ctx as SessionContext).session = null;
}

/** Puts back the data a session had when it was loaded, so koa-session sees no change and writes nothing. */
export function restoreSession(session: KoaSession, loaded: Record<string, unknown>): void {
  for (const key of Object.keys(session.toJSON())) delete session[key];
  Object.assign(session, loaded);
}

/**
 * The store's current data for `key`, for sessions kept in an external store; `undefined` for cookie-only
 * sessions and for stores that write conditionally (`CONDITIONAL_WRITES`: they check in the write itself).
 */
export async function readStored(ctx: Context, key: string | undefined): Promise<{ exists: boolean; data: Record<string, unknown> | null } | undefined> {
  const options = sessionOptions(ctx);
  if (!options.store || !key || writesConditionally(options.store)) return undefined;
  const data = (await options.store.get(key, options.maxAge, { rolling: options.rolling ?? false, ctx })) as Record<string, unknown> | null;
  return { exists: data != null, data: data ?? null };
}

/**
 * For a store that writes conditionally (`CONDITIONAL_WRITES`), a writer of this request's session through
 * it; `null` for any other store and for cookie-only sessions, which koa-session writes itself at the end
 * of the request.
 */
export function conditionalStore(ctx: Context, session: KoaSession): { write(data: Record<string, unknown>): Promise<unknown> } | null {
  const options = sessionOptions(ctx);
  const key = session.externalKey;
  const store = options.store;
  if (!store || !key || !writesConditionally(store)) return null;
  return { write: async (data) => store.set(key, data, options.maxAge, { rolling: options.rolling ?? false, changed: true, ctx }) };
}
