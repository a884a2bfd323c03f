import type { TunableValues } from '../../src/core/tunables.js';

/** The tunables of a run started with every default (replicas listed, none: no discovery surprises). */
export const DEFAULT_TUNABLES: TunableValues = Object.freeze({
  chunkSize: 1000,
  chunkTime: 0.1,
  threads: null,
  dmlBatchSize: 10,
  maxLagMillis: 1500,
  maxLoad: [],
  criticalLoad: [],
  niceRatio: 0,
  throttleQuery: null,
  throttleControlReplicas: [],
  throttledByUser: false,
  postponeCutOverFlagFile: null,
  cutOverReleased: false,
  panicRequested: false,
});
