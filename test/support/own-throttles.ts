// Test isolation from the shared replica: it lags behind every test's writes on the machine.
import { testServer } from './servers.js';

/**
 * osc flags that take replica lag from the primary itself (always about 0), so that a test that throttles or
 * postpones on its own flag files is never held by the shared replica's lag.
 */
export function onlyOurThrottles(): string[] {
  const { host, port } = testServer().primary;
  return ['--throttle-control-replicas', `${host}:${port}`];
}
