// koa-redis ships no types; these are the parts of its store that idle-session uses.
declare module 'koa-redis' {
  interface KoaRedisStore {
    get(key: string): Promise<unknown>;
    set(key: string, session: unknown, maxAge?: unknown): Promise<unknown>;
    destroy(key: string): Promise<unknown>;
  }
  function koaRedis(options: { client: unknown }): KoaRedisStore;
  export default koaRedis;
}
