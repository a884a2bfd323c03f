// Pure: raw flags + environment + --conf file -> one frozen MigrationConfig.
// Precedence for every value: flag > environment > conf file > default.
import { ConfigError } from '../core/errors.js';
import { DEFAULTS, defaultSocketFile } from '../core/config.js';
import type { LogFormat, MigrationConfig } from '../core/config.js';
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
}

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_HOST = '127.0.0.1';
export const PASSWORD_ENV = 'OSC_PASSWORD';

/** Inclusive integer ranges, gh-ost's where it has them. */
export const RANGES = {
  port: [1, 65535],
  chunkSize: [10, 100_000],
  cutOverLockTimeoutSeconds: [1, 60],
  defaultRetries: [1, Number.MAX_SAFE_INTEGER],
  replicaServerId: [1, 4_294_967_295],
  statusIntervalSeconds: [1, 3600],
  heartbeatIntervalMillis: [10, 10_000],
} as const satisfies Record<string, readonly [number, number]>;

function rangeText([min, max]: readonly [number, number]): string {
  return max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
}

/** Plain decimal digits only: "1e3", "0x10", "10.5" and " 10" are refused rather than guessed at. */
function integer(name: string, value: string, range: readonly [number, number], where = ''): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < range[0] || n > range[1]) {
    throw new ConfigError('BAD_USAGE', `invalid ${name} ${JSON.stringify(value)}${where}: expected ${rangeText(range)}`);
  }
  return n;
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
    // Operator-control settings: defaults until their flags are parsed (issue 3).
    dmlBatchSize: DEFAULTS.dmlBatchSize,
    maxLagMillis: DEFAULTS.maxLagMillis,
    throttleControlReplicas: [],
    maxLoad: [],
    criticalLoad: [],
    criticalLoadIntervalMillis: DEFAULTS.criticalLoadIntervalMillis,
    throttleFlagFile: null,
    throttleAdditionalFlagFile: DEFAULTS.throttleAdditionalFlagFile,
    throttleQuery: null,
    niceRatio: DEFAULTS.niceRatio,
    postponeCutOverFlagFile: null,
    panicFlagFile: null,
    serveSocketFile: defaultSocketFile(database, table),
    serveTcpPort: null,
    forceNamedCutOver: false,
    forceNamedPanic: false,
    metricsAddress: null,
    hooksPath: null,
    quiet: false,
  };
  return deepFreeze(config);
}
