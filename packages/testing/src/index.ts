/**
 * `@idle-session/testing`: test helpers for apps on idle-session. Server side (this entry):
 * {@link TestClock} for the adapters' `clock` option and {@link SessionAgent}, a cookie-keeping
 * client for vitest. The test controls are in `/express` and `/koa`, the browser helpers in
 * `/browser` and `/playwright`. Everything refuses to start when `NODE_ENV` is `production`.
 *
 * @packageDocumentation
 */
export { isTestClock, TestClock, type ClockLike, type TestClockOptions } from './clock.js';
export { assertNotProduction } from './guard.js';
export { SessionAgent, type StatusAnswer } from './agent.js';
export { controlsClient, type ControlsClient, type ControlsClientOptions } from './client.js';
export {
  CONTROLS_HEADER,
  DEFAULT_CONTROLS_PREFIX,
  DEFAULT_ENDPOINT,
  type AdapterLike,
  type ControlsState,
  type TestControlsOptions,
  type UnreachableMode,
} from './controls.js';
