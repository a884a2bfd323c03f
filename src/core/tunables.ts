// What an operator may change while osc runs. One small object: the control-command handler is its only writer
// (through TunablesWriter); every other component gets the read-only view and reads it when it needs a value.
import type { HostPort, LoadThreshold, MigrationConfig } from './config.js';

export interface TunableValues {
  /** Fixed rows per copy chunk; null: sized by chunkTime. */
  readonly chunkSize: number | null;
  readonly chunkTime: number;
  /** Ranges copied at once; null: the server's default. */
  readonly threads: number | null;
  readonly dmlBatchSize: number;
  readonly maxLagMillis: number;
  readonly maxLoad: readonly LoadThreshold[];
  readonly criticalLoad: readonly LoadThreshold[];
  readonly niceRatio: number;
  readonly throttleQuery: string | null;
  readonly throttleControlReplicas: readonly HostPort[];
  /** `throttle` from the socket; `no-throttle` clears it. */
  readonly throttledByUser: boolean;
  readonly postponeCutOverFlagFile: string | null;
  /** `unpostpone` arrived: cut over even if the postpone flag file exists. */
  readonly cutOverReleased: boolean;
  /** `panic` arrived: abort at once, original untouched. */
  readonly panicRequested: boolean;
}

export interface Tunables {
  /** A consistent, frozen copy of the current values. */
  current(): TunableValues;
}

export interface TunablesWriter extends Tunables {
  set<K extends keyof TunableValues>(key: K, value: TunableValues[K]): void;
}

export function initialTunables(config: MigrationConfig): TunableValues {
  return Object.freeze({
    chunkSize: config.chunkSize,
    chunkTime: config.chunkTime,
    threads: config.threads,
    dmlBatchSize: config.dmlBatchSize,
    maxLagMillis: config.maxLagMillis,
    maxLoad: config.maxLoad,
    criticalLoad: config.criticalLoad,
    niceRatio: config.niceRatio,
    throttleQuery: config.throttleQuery,
    throttleControlReplicas: config.throttleControlReplicas,
    throttledByUser: false,
    postponeCutOverFlagFile: config.postponeCutOverFlagFile,
    cutOverReleased: false,
    panicRequested: false,
  });
}

export function createTunables(initial: TunableValues): TunablesWriter {
  let values = Object.freeze({ ...initial });
  return {
    current: () => values,
    set(key, value) {
      values = Object.freeze({ ...values, [key]: value });
    },
  };
}
