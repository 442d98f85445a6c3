import { runAdapterContract } from '@idle-session/adapter-contract';
import { startKoaApp } from './app.js';

runAdapterContract({ name: 'Koa 3 + koa-session with a store', start: (options) => startKoaApp(options, 'store') });
runAdapterContract({ name: 'Koa 3 + koa-session, cookie-only', start: (options) => startKoaApp(options, 'cookie') });
