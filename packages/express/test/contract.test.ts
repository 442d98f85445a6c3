import { runAdapterContract } from '@idle-session/adapter-contract';
import { startExpressApp } from './app.js';

runAdapterContract({ name: 'Express 5 + express-session', start: startExpressApp });
