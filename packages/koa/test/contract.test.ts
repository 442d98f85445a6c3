import { runAdapterContract } from '@idle-session/adapter-contract';
import koa2 from 'koa2';
import { startKoaApp } from './app.js';

runAdapterContract({ name: 'Koa 3 + koa-session with a store', start: (options) => startKoaApp(options, 'store') });
// The session lives in its cookie: the suite allows this mode's per-mode differences (MODE_EXCEPTIONS).
runAdapterContract({ name: 'Koa 3 + koa-session, cookie-only', mode: 'cookie', start: (options) => startKoaApp(options, 'cookie') });
// Koa 2 is in the peer range because this passes.
runAdapterContract({ name: 'Koa 2 + koa-session with a store', start: (options) => startKoaApp(options, 'store', { koa: koa2 }) });
runAdapterContract({ name: 'Koa 2 + koa-session, cookie-only', mode: 'cookie', start: (options) => startKoaApp(options, 'cookie', { koa: koa2 }) });
