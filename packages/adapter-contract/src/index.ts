/**
 * `@idle-session/adapter-contract`: the contract-test suite every idle-session server
 * adapter passes, over real HTTP. An adapter's test file is a few lines:
 *
 * ```ts
 * import { runAdapterContract } from '@idle-session/adapter-contract';
 * runAdapterContract({ name: 'express 5', start: (options) => startExpressApp(options) });
 * ```
 *
 * Every exchange of every case is also compared, as a whole answer (status, body, headers), with the
 * golden file `src/answers.json`, the same for every adapter but for the per-mode exceptions of
 * `MODE_EXCEPTIONS`; `UPDATE_ANSWERS=1` (or a part of an adapter's name) records them instead.
 *
 * @packageDocumentation
 */
export { runAdapterContract } from './suite.js';
export { TestBrowser } from './client.js';
export { alternate } from './proxy.js';
export { runInstancesContract, type InstancesTarget, type StoredKey } from './instances.js';
export { answerCaught, limitsFromQuery, SlowRequests, type AdapterTarget, type HarnessOptions, type RunningApp, type SessionMode } from './harness.js';
export { MODE_EXCEPTIONS, type ModeException } from './golden.js';
export { runExpiryReasonContract } from './parallel-expiry.js';
