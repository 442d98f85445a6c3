import { runAdapterContract } from '@idle-session/adapter-contract';
import { SESSION_COOKIE, startFastifyApp } from './app.js';

runAdapterContract({ name: 'Fastify 5 + @fastify/session', sessionCookie: SESSION_COOKIE, start: (options) => startFastifyApp(options) });
