import { runExpiryReasonContract } from '@idle-session/adapter-contract';
import { startKoaApp } from './app.js';

runExpiryReasonContract({ name: 'Koa 3 + koa-session with a store', start: (options) => startKoaApp(options, 'store') });
runExpiryReasonContract({ name: 'Koa 3 + koa-session, cookie-only', start: (options) => startKoaApp(options, 'cookie') });
