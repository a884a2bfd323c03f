// The migration's configuration: parsed once by cli/options.ts from flags, env and --conf, then frozen.
// Each field's flag (name, default, range, help) is declared in core/flags.ts.

import type { TlsConfig } from './tls.js';

export type LogFormat = 'text' | 'json';

/** `Threads_running=25` in --max-load / --critical-load. */
export interface LoadThreshold {
  readonly variable: string;
  readonly limit: number;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ConnectionConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Never logged. */
  readonly password: string;
  /** --ssl-*: used by every connection to this server and to its replicas; absent: plain connections. */
  readonly tls?: TlsConfig;
}

export interface MigrationConfig {
  readonly connection: ConnectionConfig;
  readonly database: string;
  readonly table: string;
  /** The ALTER as the user gave it (clauses, or a whole `ALTER TABLE name ...`); core/alter.ts analyses it. */
  readonly alter: string;
  /** false: noop (check everything, prove the ALTER on a ghost, print the plan, drop the ghost). */
  readonly execute: boolean;
  /** --chunk-size: fixed rows per chunk; null: sized by chunkTime. */
  readonly chunkSize: number | null;
  /** --chunk-time: target seconds per chunk. */
  readonly chunkTime: number;
  /** --threads: ranges copied at once; null: the server's default (see defaultThreads). */
  readonly threads: number | null;
  readonly cutOverLockTimeoutSeconds: number;
  readonly defaultRetries: number;
  /** server_id the binlog reader announces; must not collide with any server's. */
  readonly replicaServerId: number;
  /** --resume: continue a dead run from its checkpoint instead of starting over. */
  readonly resume: boolean;
  readonly initiallyDropGhostTable: boolean;
  readonly initiallyDropOldTable: boolean;
  readonly okToDropTable: boolean;
  readonly approveRenamedColumns: boolean;
  /** COUNT(*) the table instead of trusting information_schema's estimate. */
  readonly exactRowcount: boolean;
  readonly verbose: boolean;
  readonly logFormat: LogFormat;
  /** Seconds between status lines. */
  readonly statusIntervalSeconds: number;
  /** Milliseconds between changelog heartbeats. */
  readonly heartbeatIntervalMillis: number;
  /** Where the config came from, for messages (never the password). */
  readonly confFile: string | null;

  // ---- operator control (issue 3). Values an operator can change while osc runs start here and live on in Tunables.
  /** Binlog events replayed per transaction. */
  readonly dmlBatchSize: number;
  readonly maxLagMillis: number;
  /** Replicas whose lag throttles the copy; empty = discover them from the primary. */
  readonly throttleControlReplicas: readonly HostPort[];
  readonly maxLoad: readonly LoadThreshold[];
  readonly criticalLoad: readonly LoadThreshold[];
  /** 0: abort at once when critical-load is met; else re-check once after this many ms (gh-ost's semantics). */
  readonly criticalLoadIntervalMillis: number;
  readonly throttleFlagFile: string | null;
  /** Shared by all runs; default /tmp/osc.throttle. */
  readonly throttleAdditionalFlagFile: string | null;
  readonly throttleQuery: string | null;
  /** Sleep this fraction of each chunk's copy time after it (0 = none). */
  readonly niceRatio: number;
  readonly postponeCutOverFlagFile: string | null;
  readonly panicFlagFile: string | null;
  /** Default /tmp/osc.<database>.<table>.sock. */
  readonly serveSocketFile: string;
  /** Also serve the control protocol on 127.0.0.1:<port>; null = off. */
  readonly serveTcpPort: number | null;
  readonly forceNamedCutOver: boolean;
  /** --skip-checksum: swap without comparing the ghost with the original first. */
  readonly skipChecksum: boolean;
  readonly forceNamedPanic: boolean;
  /** host:port for /metrics; null = off. */
  readonly metricsAddress: HostPort | null;
  readonly hooksPath: string | null;
  /** Only warnings, errors and the final summary. */
  readonly quiet: boolean;
}
