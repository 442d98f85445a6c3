import { runExpiryReasonContract } from '@idle-session/adapter-contract';
import express4 from 'express4';
import { startExpressApp, type ExpressModule } from './app.js';

runExpiryReasonContract({ name: 'Express 5 + express-session', start: (options) => startExpressApp(options) });
runExpiryReasonContract({
  name: 'Express 4 + express-session',
  start: (options) => startExpressApp(options, { express: express4 as unknown as ExpressModule }),
});
