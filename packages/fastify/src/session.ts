import { checkThenWrite, keepOnlyReason, SESSION_KEY, storeEntry, storeKeyOf, writesConditionally, type BoundSession, type DetachedSession, type ExpiryReason } from '@idle-session/core';
import type { FastifyRequest } from 'fastify';

/** @fastify/session's session object as the adapter uses it (its data are its own enumerable fields). */
type FastifySession = Record<string, unknown> & { readonly sessionId: string; readonly encryptedSessionId: string; save(callback?: (error?: unknown) => void): Promise<void>; destroy(): Promise<void>; regenerate(): Promise<void> };
type Store = { destroy(id: string, done: (error?: unknown) => void): void; set(id: string, data: unknown, done: (error?: unknown) => void): void };
type WithSession = FastifyRequest & { session?: FastifySession | null; sessionStore?: Store };

/** The request's @fastify/session session; `null` outside its cookie path (it gives those `{}`), after `destroy()`, or when it is not registered. */
export function sessionOf(request: FastifyRequest): FastifySession | null {
  const session = (request as WithSession).session;
  return session && typeof session.save === 'function' && typeof session.sessionId === 'string' ? session : null;
}

/** Replaces a method of this session object only (@fastify/session calls `save(callback)` and `isModified()` in its `onSend` hook). */
export function override(session: FastifySession, name: 'save' | 'isModified', value: (...args: never[]) => unknown): void {
  Object.defineProperty(session, name, { configurable: true, writable: true, value });
}

/** Runs `work` for a `save(callback?)` call: the callback when given, else the promise. */
const settle = (work: Promise<void>, callback?: (error?: unknown) => void) => (callback ? void work.then(() => callback(), callback) : work);

/**
 * A new, empty session with a new id, as `regenerate()` makes, without its write of the empty session (as
 * express-session, a new session is written once, at the end of the request, when it holds anything).
 */
async function renew(request: FastifyRequest, session: FastifySession, record: unknown): Promise<void> {
  const storeSymbol = Object.getOwnPropertySymbols(session).find((symbol) => symbol.description === 'sessionStore');
  if (!storeSymbol) await session.regenerate(); // another version of @fastify/session: one write more
  else {
    const store = (session as unknown as Record<symbol, Store>)[storeSymbol]!;
    const noWrite = { destroy: store.destroy.bind(store), set: (_id: string, _data: unknown, done: () => void) => done() };
    await session.regenerate.call(Object.create(session, { [storeSymbol]: { value: noWrite } }));
    (sessionOf(request) as unknown as Record<symbol, Store>)[storeSymbol] = store;
  }
  if (record !== undefined) sessionOf(request)![SESSION_KEY] = record;
}

/**
 * The request's session seen as core's `BoundSession`: one view per session object (a class, so one
 * allocation per request), kept on it under a symbol (cheaper than a WeakMap, an ephemeron table;
 * @fastify/session's hash and the stores' JSON ignore it).
 */
class FastifyView implements BoundSession {
  constructor(
    private readonly request: FastifyRequest,
    private readonly session: FastifySession,
  ) {}
  get record(): unknown {
    return this.session[SESSION_KEY];
  }
  setRecord(record: unknown): void {
    this.session[SESSION_KEY] = record;
  }
  get storeKey(): string | undefined {
    return storeKeyOf((this.request as WithSession).sessionStore, this.session.sessionId);
  }
  get writesConditionally(): boolean {
    return writesConditionally((this.request as WithSession).sessionStore);
  }
  save(): Promise<void> {
    return this.session.save();
  }
  endInPlace(reason: ExpiryReason): Promise<void> {
    keepOnlyReason(this.session, reason);
    return this.session.save();
  }
  renew(record?: unknown): Promise<void> {
    return renew(this.request, this.session, record);
  }
  destroy(): Promise<void> {
    return this.session.destroy();
  }
  neverSave(): void {
    override(this.session, 'isModified', () => false);
    override(this.session, 'save', (callback?: () => void) => settle(Promise.resolve(), callback));
  }
  checkBeforeSave(decide: Parameters<BoundSession['checkBeforeSave']>[0]): void {
    const { session } = this;
    const entry = storeEntry((this.request as WithSession).sessionStore, session.sessionId);
    const write = session.save.bind(session);
    override(session, 'save', (callback?: () => void) => settle(checkThenWrite(entry, session, decide, () => write()), callback));
  }
}
const VIEW = Symbol('idle-session view');
export function bound(request: FastifyRequest): BoundSession | null {
  const session = sessionOf(request) as (FastifySession & { [VIEW]?: FastifyView }) | null;
  return session && (session[VIEW] ??= new FastifyView(request, session));
}

/** The request's session's store entry, for `ActivityHandle.touch()` after the request. */
export function detached(request: FastifyRequest): DetachedSession | null {
  const store = (request as WithSession).sessionStore;
  const sid = sessionOf(request)?.sessionId;
  return store && sid !== undefined ? storeEntry(store, sid) : null;
}

/**
 * The name of the cookie that carries this session (the request's cookie whose value holds the session id,
 * signed with any of the secrets, after any `cookiePrefix`), or `null`.
 */
export function sessionCookieName(request: FastifyRequest, session: FastifySession): string | null {
  for (const [name, value] of Object.entries(request.cookies)) if (value?.includes(`${session.sessionId}.`)) return name;
  return null;
}
