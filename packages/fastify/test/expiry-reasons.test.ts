import { runExpiryReasonContract } from '@idle-session/adapter-contract';
import { startFastifyApp } from './app.js';

runExpiryReasonContract({ name: 'Fastify 5 + @fastify/session', start: (options) => startFastifyApp(options) });
