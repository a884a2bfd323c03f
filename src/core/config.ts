// The migration's configuration: parsed once by cli/options.ts from flags, env and --conf, then frozen.

export type LogFormat = 'text' | 'json';

export interface ConnectionConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Never logged. */
  readonly password: string;
}

export interface MigrationConfig {
  readonly connection: ConnectionConfig;
  readonly database: string;
  readonly table: string;
  /** The ALTER as the user gave it (clauses, or a whole `ALTER TABLE name ...`); core/alter.ts analyses it. */
  readonly alter: string;
  /** false: noop (check everything, prove the ALTER on a ghost, print the plan, drop the ghost). */
  readonly execute: boolean;
  readonly chunkSize: number;
  readonly cutOverLockTimeoutSeconds: number;
  readonly defaultRetries: number;
  /** server_id the binlog reader announces; must not collide with any server's. */
  readonly replicaServerId: number;
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
}

export const DEFAULTS = {
  port: 3306,
  chunkSize: 1000,
  cutOverLockTimeoutSeconds: 3,
  defaultRetries: 60,
  replicaServerId: 99999,
  logFormat: 'text' as LogFormat,
  statusIntervalSeconds: 5,
  heartbeatIntervalMillis: 100,
} as const;
