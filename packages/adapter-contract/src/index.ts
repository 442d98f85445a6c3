/**
 * `@idle-session/adapter-contract` (private): the contract-test suite every idle-session server
 * adapter passes, over real HTTP. An adapter's test file is a few lines:
 *
 * ```ts
 * import { runAdapterContract } from '@idle-session/adapter-contract';
 * runAdapterContract({ name: 'express 5', start: (options) => startExpressApp(options) });
 * ```
 *
 * @packageDocumentation
 */
export { runAdapterContract } from './suite.js';
export { TestBrowser } from './client.js';
export { alternate } from './proxy.js';
export { runInstancesContract, type InstancesTarget, type StoredKey } from './instances.js';
export { SlowRequests, type AdapterTarget, type HarnessOptions, type RunningApp } from './harness.js';
export { runExpiryReasonContract } from './parallel-expiry.js';
