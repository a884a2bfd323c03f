// Pure: raw flags + environment + --conf file -> one frozen MigrationConfig.
// Precedence for every value: flag > environment > conf file > default.
import { ConfigError } from '../core/errors.js';
import { DEFAULTS } from '../core/config.js';
import { defaultSocketFile, MAX_SOCKET_PATH_BYTES } from '../core/names.js';
import type { LogFormat, MigrationConfig } from '../core/config.js';
import type { Parsed } from '../core/control/values.js';
import {
  TUNABLE_RANGES,
  parseInteger,
  parseLoad,
  parseMetricsAddress,
  parseNiceRatio,
  parseReplicaList,
} from '../core/control/values.js';
import type { ConfFile } from './conf-file.js';

/** What program.ts hands over: only the flags given on the command line, values as typed. */
export interface RawFlags {
  readonly host?: string;
  readonly port?: string;
  readonly user?: string;
  readonly password?: string;
  readonly conf?: string;
  readonly database?: string;
  readonly table?: string;
  readonly alter?: string;
  readonly execute?: boolean;
  readonly chunkSize?: string;
  readonly cutOverLockTimeoutSeconds?: string;
  readonly defaultRetries?: string;
  readonly replicaServerId?: string;
  readonly initiallyDropGhostTable?: boolean;
  readonly initiallyDropOldTable?: boolean;
  readonly okToDropTable?: boolean;
  readonly approveRenamedColumns?: boolean;
  readonly exactRowcount?: boolean;
  readonly verbose?: boolean;
  readonly logFormat?: string;
  readonly statusInterval?: string;
  readonly heartbeatIntervalMillis?: string;
  readonly dmlBatchSize?: string;
  readonly maxLagMillis?: string;
  readonly throttleControlReplicas?: string;
  readonly maxLoad?: string;
  readonly criticalLoad?: string;
  readonly criticalLoadIntervalMillis?: string;
  readonly throttleFlagFile?: string;
  readonly throttleAdditionalFlagFile?: string;
  readonly throttleQuery?: string;
  readonly niceRatio?: string;
  readonly postponeCutOverFlagFile?: string;
  readonly panicFlagFile?: string;
  readonly serveSocketFile?: string;
  readonly serveTcpPort?: string;
  readonly forceNamedCutOver?: boolean;
  readonly forceNamedPanic?: boolean;
  readonly metricsAddress?: string;
  readonly hooksPath?: string;
  readonly quiet?: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_HOST = '127.0.0.1';
export const PASSWORD_ENV = 'OSC_PASSWORD';

/** Inclusive integer ranges, gh-ost's where it has them. */
export const RANGES = {
  port: [1, 65535],
  chunkSize: TUNABLE_RANGES.chunkSize,
  cutOverLockTimeoutSeconds: [1, 60],
  defaultRetries: [1, Number.MAX_SAFE_INTEGER],
  replicaServerId: [1, 4_294_967_295],
  statusIntervalSeconds: [1, 3600],
  heartbeatIntervalMillis: [10, 10_000],
  dmlBatchSize: TUNABLE_RANGES.dmlBatchSize,
  maxLagMillis: TUNABLE_RANGES.maxLagMillis,
  criticalLoadIntervalMillis: [0, 3_600_000],
  serveTcpPort: [1, 65535],
} as const satisfies Record<string, readonly [number, number]>;

/** The value, or a ConfigError in the one message style: `invalid --flag "value": expected ...`. */
function valid<T>(name: string, value: string, parsed: Parsed<T>, where = ''): T {
  if (!parsed.ok) throw new ConfigError('BAD_USAGE', `invalid ${name} ${JSON.stringify(value)}${where}: expected ${parsed.expected}`);
  return parsed.value;
}

/** Plain decimal digits only: "1e3", "0x10", "10.5" and " 10" are refused rather than guessed at. */
function integer(name: string, value: string, range: readonly [number, number], where = ''): number {
  return valid(name, value, parseInteger(value, range), where);
}

function optionalParsed<T>(flag: string, value: string | undefined, parse: (v: string) => Parsed<T>, fallback: T): T {
  return value === undefined ? fallback : valid(flag, value, parse(value));
}

/** A path flag: absent is null; given, it must not be empty. */
function optionalPath(flag: string, value: string | undefined): string | null {
  return nonEmpty(flag, value) ?? null;
}

function socketFile(raw: RawFlags, database: string, table: string): string {
  const path = optionalPath('--serve-socket-file', raw.serveSocketFile) ?? defaultSocketFile(database, table);
  if (new TextEncoder().encode(path).length > MAX_SOCKET_PATH_BYTES) {
    throw new ConfigError(
      'BAD_USAGE',
      `invalid --serve-socket-file ${JSON.stringify(path)}: a unix socket path must be at most ${MAX_SOCKET_PATH_BYTES} bytes; give a shorter --serve-socket-file`,
    );
  }
  return path;
}

function optionalInt(flag: string, value: string | undefined, range: readonly [number, number], fallback: number): number {
  return value === undefined ? fallback : integer(flag, value, range);
}

function logFormat(value: string | undefined): LogFormat {
  if (value === undefined) return DEFAULTS.logFormat;
  if (value === 'text' || value === 'json') return value;
  throw new ConfigError('BAD_USAGE', `invalid --log-format ${JSON.stringify(value)}: expected text or json`);
}

/** A value and the name to blame when it is bad. */
interface Sourced {
  readonly value: string;
  readonly name: string;
  /** '' for flags and the environment, ' in --conf <path>' for the conf file. */
  readonly where: string;
}

function pick(
  flag: string,
  key: 'host' | 'port' | 'user' | 'password',
  raw: RawFlags,
  envValue: string | undefined,
  envName: string | null,
  conf: ConfFile | null,
): Sourced | undefined {
  const fromFlag = raw[key];
  if (fromFlag !== undefined) return { value: fromFlag, name: flag, where: '' };
  if (envValue !== undefined && envName !== null) return { value: envValue, name: envName, where: '' };
  const fromConf = conf?.[key];
  if (fromConf !== undefined && conf !== null) return { value: fromConf, name: key, where: ` in --conf ${conf.path}` };
  return undefined;
}

function nonEmpty(name: string, value: string | undefined, where = ''): string | undefined {
  if (value !== undefined && value.trim() === '') throw new ConfigError('BAD_USAGE', `invalid ${name}${where}: must not be empty`);
  return value;
}

function deepFreeze<T extends object>(obj: T): T {
  for (const v of Object.values(obj)) if (typeof v === 'object' && v !== null) deepFreeze(v as object);
  return Object.freeze(obj);
}

export function parseOptions(raw: RawFlags, env: Env, conf: ConfFile | null): MigrationConfig {
  const host = pick('--host', 'host', raw, undefined, null, conf);
  const port = pick('--port', 'port', raw, undefined, null, conf);
  const user = pick('--user', 'user', raw, undefined, null, conf);
  const password = pick('--password', 'password', raw, env[PASSWORD_ENV], PASSWORD_ENV, conf);

  const database = nonEmpty('--database', raw.database);
  const table = nonEmpty('--table', raw.table);
  const alter = nonEmpty('--alter', raw.alter);
  if (host !== undefined) nonEmpty(host.name, host.value, host.where);
  if (user !== undefined) nonEmpty(user.name, user.value, user.where);

  const missing = [
    database === undefined ? '--database' : null,
    table === undefined ? '--table' : null,
    alter === undefined ? '--alter' : null,
    user === undefined ? '--user (or user= in the [client] section of --conf)' : null,
  ].filter((m): m is string => m !== null);
  if (database === undefined || table === undefined || alter === undefined || user === undefined) {
    throw new ConfigError('BAD_USAGE', `missing required ${missing.join(', ')}`);
  }

  const config: MigrationConfig = {
    connection: {
      host: host?.value ?? DEFAULT_HOST,
      port: port === undefined ? DEFAULTS.port : integer(port.name, port.value, RANGES.port, port.where),
      user: user.value,
      password: password?.value ?? '',
    },
    database,
    table,
    alter,
    execute: raw.execute === true,
    chunkSize: optionalInt('--chunk-size', raw.chunkSize, RANGES.chunkSize, DEFAULTS.chunkSize),
    cutOverLockTimeoutSeconds: optionalInt(
      '--cut-over-lock-timeout-seconds',
      raw.cutOverLockTimeoutSeconds,
      RANGES.cutOverLockTimeoutSeconds,
      DEFAULTS.cutOverLockTimeoutSeconds,
    ),
    defaultRetries: optionalInt('--default-retries', raw.defaultRetries, RANGES.defaultRetries, DEFAULTS.defaultRetries),
    replicaServerId: optionalInt('--replica-server-id', raw.replicaServerId, RANGES.replicaServerId, DEFAULTS.replicaServerId),
    initiallyDropGhostTable: raw.initiallyDropGhostTable === true,
    initiallyDropOldTable: raw.initiallyDropOldTable === true,
    okToDropTable: raw.okToDropTable === true,
    approveRenamedColumns: raw.approveRenamedColumns === true,
    exactRowcount: raw.exactRowcount === true,
    verbose: raw.verbose === true,
    logFormat: logFormat(raw.logFormat),
    statusIntervalSeconds: optionalInt('--status-interval', raw.statusInterval, RANGES.statusIntervalSeconds, DEFAULTS.statusIntervalSeconds),
    heartbeatIntervalMillis: optionalInt(
      '--heartbeat-interval-millis',
      raw.heartbeatIntervalMillis,
      RANGES.heartbeatIntervalMillis,
      DEFAULTS.heartbeatIntervalMillis,
    ),
    confFile: conf?.path ?? null,
    dmlBatchSize: optionalInt('--dml-batch-size', raw.dmlBatchSize, RANGES.dmlBatchSize, DEFAULTS.dmlBatchSize),
    maxLagMillis: optionalInt('--max-lag-millis', raw.maxLagMillis, RANGES.maxLagMillis, DEFAULTS.maxLagMillis),
    throttleControlReplicas: optionalParsed('--throttle-control-replicas', raw.throttleControlReplicas, parseReplicaList, []),
    maxLoad: optionalParsed('--max-load', raw.maxLoad, parseLoad, []),
    criticalLoad: optionalParsed('--critical-load', raw.criticalLoad, parseLoad, []),
    criticalLoadIntervalMillis: optionalInt(
      '--critical-load-interval-millis',
      raw.criticalLoadIntervalMillis,
      RANGES.criticalLoadIntervalMillis,
      DEFAULTS.criticalLoadIntervalMillis,
    ),
    throttleFlagFile: optionalPath('--throttle-flag-file', raw.throttleFlagFile),
    // Shared by every run; an empty value turns it off (gh-ost's behaviour).
    throttleAdditionalFlagFile:
      raw.throttleAdditionalFlagFile === undefined
        ? DEFAULTS.throttleAdditionalFlagFile
        : raw.throttleAdditionalFlagFile.trim() === ''
          ? null
          : raw.throttleAdditionalFlagFile,
    throttleQuery: nonEmpty('--throttle-query', raw.throttleQuery) ?? null,
    niceRatio: optionalParsed('--nice-ratio', raw.niceRatio, parseNiceRatio, DEFAULTS.niceRatio),
    postponeCutOverFlagFile: optionalPath('--postpone-cut-over-flag-file', raw.postponeCutOverFlagFile),
    panicFlagFile: optionalPath('--panic-flag-file', raw.panicFlagFile),
    serveSocketFile: socketFile(raw, database, table),
    serveTcpPort: raw.serveTcpPort === undefined ? null : integer('--serve-tcp-port', raw.serveTcpPort, RANGES.serveTcpPort),
    forceNamedCutOver: raw.forceNamedCutOver === true,
    forceNamedPanic: raw.forceNamedPanic === true,
    metricsAddress: valid(
      '--metrics-address',
      raw.metricsAddress ?? DEFAULTS.metricsAddress,
      parseMetricsAddress(raw.metricsAddress ?? DEFAULTS.metricsAddress),
    ),
    hooksPath: optionalPath('--hooks-path', raw.hooksPath),
    quiet: raw.quiet === true,
  };
  return deepFreeze(config);
}
