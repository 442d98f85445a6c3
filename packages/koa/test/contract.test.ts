import { runAdapterContract } from '@idle-session/adapter-contract';
import { startKoaApp } from './app.js';

runAdapterContract({ name: 'Koa 3 + koa-session with a store', start: (options) => startKoaApp(options, 'store') });
// The session lives in its cookie: the suite allows this mode's per-mode differences (MODE_EXCEPTIONS).
runAdapterContract({ name: 'Koa 3 + koa-session, cookie-only', mode: 'cookie', start: (options) => startKoaApp(options, 'cookie') });
