// Every flag, declared once: gh-ost's name, value, default, parser and range, help text, README group, whether the
// --conf file or the environment may supply it, and whether the control socket may change it at runtime.
// cli/program.ts builds the commander options from it, cli/options.ts the frozen MigrationConfig, cli/conf-file.ts
// its accepted keys, core/control/protocol.ts the socket's settable values, and README's flag table is generated
// from it (npm run docs:flags; test/unit/flags.test.ts fails when README and this list disagree).
//
// Order matters: it is the order of --help, of README's tables, of the socket's `help` and `status`, and of the
// "missing required" message.
import { MAX_SOCKET_PATH_BYTES } from './names.js';
import type { LogFormat } from './config.js';
import { SSL_MODES, type SslMode } from './tls.js';
import type { Parsed } from './control/values.js';
import {
  parseDecimal,
  parseInteger,
  parseLoad,
  parseMetricsAddress,
  parseReplicaList,
  renderLoad,
  renderReplicaList,
} from './control/values.js';

/** A parser's verdict: `expected` completes "expected ...", `reason` replaces it (a refusal that is no format). */
export type FlagParsed<T> = Parsed<T> | { readonly ok: false; readonly reason: string };

/** Marks a flag that has no default: it must be given (or supplied by --conf). */
export const REQUIRED: unique symbol = Symbol('required');

export type FlagGroup = 'migration' | 'connection' | 'copy' | 'throttle' | 'cutover' | 'operator';

/** README's heading for each group, in README's order. */
export const GROUP_TITLES: Readonly<Record<FlagGroup, string>> = {
  migration: 'What to migrate',
  connection: 'Connection',
  copy: 'Copy and replay',
  throttle: 'Throttling',
  cutover: 'Cut-over',
  operator: 'Control, output and hooks',
};

/** What the control socket may change while osc runs: `<flag name>=<value>` sets it, `<flag name>=?` reads it. */
export interface SocketSpec {
  /** The line in the socket's `help` (the flag's help is for the command line). */
  readonly help: string;
  /** When the socket accepts other text than the flag (e.g. '' to clear); else the flag's own parser. */
  readonly parse?: (text: string) => Parsed<unknown>;
  /** The value as it would be set: `name=<render>` round-trips. */
  readonly render: (value: never) => string;
}

export interface FlagSpec {
  /** The MigrationConfig field (or ConnectionConfig field: host, port, user, password) it fills. */
  readonly key: string;
  /** The value's placeholder: `rows` gives `--chunk-size <rows>`. Absent: a switch, true when given. */
  readonly arg?: string;
  /** One text for --help (backticks dropped) and README (backticks kept as code). */
  readonly help: string;
  readonly group: FlagGroup;
  /** Inclusive, for numbers; shown after the help text. */
  readonly range?: readonly [number, number];
  readonly parse: (text: string) => FlagParsed<unknown>;
  /** The default as one would type it; parsed like a given value when the flag is absent. */
  readonly default?: string;
  /** The value when absent, for flags whose default cannot be typed (null, none, REQUIRED). */
  readonly absent?: unknown;
  /** What --help and README show as the default when it is not `default` (e.g. a path pattern). */
  readonly shown?: string;
  /** An empty (or blank) value is refused with "must not be empty". */
  readonly nonEmpty?: true;
  /** The key in the --conf file's [client] section that supplies it when the flag is absent. */
  readonly conf?: string;
  /** The environment variable that supplies it when the flag is absent (before --conf). */
  readonly env?: string;
  readonly socket?: SocketSpec;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });

/** --threads at most: each takes a session of the pool while its range is copied. */
export const MAX_COPY_THREADS = 8;

const int = (min: number, max: number) =>
  ({ range: [min, max] as const, parse: (t: string): Parsed<number> => parseInteger(t, [min, max]) }) as const;
const decimal = (min: number, max: number) =>
  ({ range: [min, max] as const, parse: (t: string): Parsed<number> => parseDecimal(t, [min, max]) }) as const;
/** A switch: no value, true when given. */
const SWITCH = { parse: (): Parsed<boolean> => ok(true), absent: false } as const;
const text = (t: string): Parsed<string> => ok(t);
/** A path that is off (null) unless given; given, it must not be empty. */
const OPTIONAL_PATH = { arg: 'path', parse: text, absent: null, nonEmpty: true } as const;
const renderText = (v: string | null): string => v ?? '';

function logFormat(t: string): Parsed<LogFormat> {
  return t === 'text' || t === 'json' ? ok(t) : { ok: false, expected: 'text or json' };
}

function sslMode(t: string): Parsed<SslMode> {
  const mode = SSL_MODES.find((m) => m === t.toLowerCase().replace(/_/g, '-'));
  return mode === undefined ? { ok: false, expected: SSL_MODES.join(', ') } : ok(mode);
}

/** A certificate file: off (null) unless given; --conf may supply it as the MySQL client's option files do. */
const SSL_FILE = { arg: 'file', group: 'connection', parse: text, absent: null, nonEmpty: true } as const;

function socketPath(t: string): FlagParsed<string> {
  if (new TextEncoder().encode(t).length <= MAX_SOCKET_PATH_BYTES) return ok(t);
  return {
    ok: false,
    reason: `a unix socket path must be at most ${MAX_SOCKET_PATH_BYTES} bytes; give a shorter --serve-socket-file`,
  };
}

export const PASSWORD_ENV = 'OSC_PASSWORD';

export const FLAGS = {
  // ---- what to migrate
  database: {
    key: 'database',
    arg: 'name',
    group: 'migration',
    help: 'schema holding the table',
    parse: text,
    absent: REQUIRED,
    nonEmpty: true,
  },
  table: {
    key: 'table',
    arg: 'name',
    group: 'migration',
    help: 'the table to change',
    parse: text,
    absent: REQUIRED,
    nonEmpty: true,
  },
  alter: {
    key: 'alter',
    arg: 'statement',
    group: 'migration',
    help: 'the change: ALTER clauses such as `"ADD COLUMN c INT, ADD INDEX (c)"`, or a whole `ALTER TABLE t ...`',
    parse: text,
    absent: REQUIRED,
    nonEmpty: true,
  },
  execute: {
    key: 'execute',
    group: 'migration',
    help:
      'really migrate. Without it osc runs every check, creates and alters the ghost to prove the ALTER, ' +
      'prints the plan, drops the ghost and exits 0 (noop)',
    ...SWITCH,
  },
  resume: {
    key: 'resume',
    group: 'migration',
    help:
      'continue a run whose process died, from its checkpoint `_<table>_ghk`: checks that ghost, changelog and ' +
      'checkpoint exist and belong to this ALTER, this key and this osc version, and that the binary log it needs ' +
      'is still on the server, then replays and copies on from there. Without --execute it only reports what it ' +
      'would resume',
    ...SWITCH,
  },
  'initially-drop-ghost-table': {
    key: 'initiallyDropGhostTable',
    group: 'migration',
    help: 'drop a leftover ghost table `_<table>_gho` (and `_<table>_ghc`, `_<table>_ghk`) before starting, once osc holds its run lock',
    ...SWITCH,
  },
  'initially-drop-old-table': {
    key: 'initiallyDropOldTable',
    group: 'migration',
    help: 'drop a leftover old table `_<table>_del` before starting',
    ...SWITCH,
  },
  'ok-to-drop-table': {
    key: 'okToDropTable',
    group: 'migration',
    help: 'drop the old table after a successful cut-over (otherwise it stays as `_<table>_del`)',
    ...SWITCH,
  },
  'approve-renamed-columns': {
    key: 'approveRenamedColumns',
    group: 'migration',
    help: 'accept the column renames osc finds in the ALTER (`CHANGE old new ...`, `RENAME COLUMN`)',
    ...SWITCH,
  },

  // ---- connection
  host: {
    key: 'host',
    arg: 'host',
    group: 'connection',
    help: 'the MySQL/MariaDB primary to connect to',
    parse: text,
    default: '127.0.0.1',
    nonEmpty: true,
    conf: 'host',
  },
  port: {
    key: 'port',
    arg: 'port',
    group: 'connection',
    help: 'its TCP port',
    ...int(1, 65535),
    default: '3306',
    conf: 'port',
  },
  user: {
    key: 'user',
    arg: 'user',
    group: 'connection',
    help: 'MySQL user',
    parse: text,
    absent: REQUIRED,
    nonEmpty: true,
    conf: 'user',
  },
  password: {
    key: 'password',
    arg: 'password',
    group: 'connection',
    help: 'MySQL password (other users may see it in the process list while osc starts: prefer the environment, --conf or --ask-pass)',
    parse: text,
    absent: '',
    env: PASSWORD_ENV,
    conf: 'password',
  },
  'ask-pass': {
    key: 'askPass',
    group: 'connection',
    help: 'prompt for the password on the terminal (not echoed); instead of --password',
    ...SWITCH,
  },
  conf: {
    key: 'confFile',
    arg: 'file',
    group: 'connection',
    help:
      'my.cnf-style file whose `[client]` section may supply what the flags leave out ' +
      '(flags win over the environment, the environment over the file)',
    parse: text,
    absent: null,
    nonEmpty: true,
  },
  'replica-server-id': {
    key: 'replicaServerId',
    arg: 'id',
    group: 'connection',
    help: "`server_id` osc's binlog reader announces; must not be any server's id",
    ...int(1, 4_294_967_295),
    default: '99999',
  },
  'ssl-mode': {
    key: 'sslMode',
    arg: 'mode',
    group: 'connection',
    help:
      'TLS for every connection osc opens (binlog reader and replicas included): `disabled`, `preferred` (TLS when ' +
      'the server has it), `required` (TLS, certificate not checked), `verify-ca` (signed by --ssl-ca), ' +
      '`verify-identity` (and issued for the host osc connects to)',
    parse: sslMode,
    absent: null,
    shown: 'disabled; verify-ca with --ssl-ca',
    conf: 'ssl_mode',
  },
  'ssl-ca': {
    key: 'sslCa',
    ...SSL_FILE,
    help: "PEM file of the certificate authority that signed the server's certificate",
    conf: 'ssl_ca',
  },
  'ssl-cert': {
    key: 'sslCert',
    ...SSL_FILE,
    help: 'PEM file of the client certificate, for accounts that `REQUIRE X509`',
    conf: 'ssl_cert',
  },
  'ssl-key': { key: 'sslKey', ...SSL_FILE, help: "PEM file of the client certificate's private key", conf: 'ssl_key' },

  // ---- copy and replay
  'chunk-size': {
    key: 'chunkSize',
    arg: 'rows',
    group: 'copy',
    help: 'rows per copy chunk, fixed (absent: sized by `--chunk-time`)',
    ...int(10, 100_000),
    absent: null,
    shown: 'by time',
    socket: {
      help: 'rows per copy chunk, fixed (empty: sized by chunk-time again)',
      parse: (t: string): Parsed<number | null> => (t === '' ? ok(null) : parseInteger(t, [10, 100_000])),
      render: (v: number | null) => (v === null ? '' : String(v)),
    },
  },
  'chunk-time': {
    key: 'chunkTime',
    arg: 'seconds',
    group: 'copy',
    help: 'target seconds per copy chunk when `--chunk-size` is not given: the size grows at most 1.5× a chunk and shrinks at once when a chunk takes over 4× this',
    ...decimal(0.01, 60),
    default: '0.5',
    socket: { help: 'target seconds per copy chunk (when chunk-size is empty)', render: String },
  },
  threads: {
    key: 'threads',
    arg: 'n',
    group: 'copy',
    help: 'copy ranges copied at once (measured here: two beat one on MySQL 9.7, more made no difference on MariaDB 10.11)',
    ...int(1, MAX_COPY_THREADS),
    absent: null,
    shown: 'MySQL 2, MariaDB 1',
    socket: {
      help: 'copy ranges copied at once (empty: the default for the server)',
      parse: (t: string): Parsed<number | null> => (t === '' ? ok(null) : parseInteger(t, [1, MAX_COPY_THREADS])),
      render: (v: number | null) => (v === null ? '' : String(v)),
    },
  },
  'dml-batch-size': {
    key: 'dmlBatchSize',
    arg: 'n',
    group: 'copy',
    help: 'binlog events replayed per transaction (collapsed per key into one `DELETE` and one multi-row `INSERT`)',
    ...int(1, 10_000),
    default: '1000',
    socket: { help: 'binlog events replayed per transaction', render: String },
  },
  'exact-rowcount': {
    key: 'exactRowcount',
    group: 'copy',
    help: '`COUNT(*)` the table for progress instead of trusting the estimate',
    ...SWITCH,
  },
  'heartbeat-interval-millis': {
    key: 'heartbeatIntervalMillis',
    arg: 'ms',
    group: 'copy',
    help: 'milliseconds between changelog heartbeats',
    ...int(10, 10_000),
    default: '100',
  },

  // ---- throttling
  'max-lag-millis': {
    key: 'maxLagMillis',
    arg: 'ms',
    group: 'throttle',
    help: 'throttle the copy while the worst replica lag exceeds this',
    ...int(100, 3_600_000),
    default: '1500',
    socket: { help: 'throttle when a replica lags more', render: String },
  },
  'max-load': {
    key: 'maxLoad',
    arg: 'var=n,...',
    group: 'throttle',
    help: 'throttle while any status variable is at or over its limit, e.g. `Threads_running=25,Threads_connected=500`',
    parse: parseLoad,
    absent: [],
    socket: { help: 'throttle while a status variable is at or over its limit', render: renderLoad },
  },
  'critical-load': {
    key: 'criticalLoad',
    arg: 'var=n,...',
    group: 'throttle',
    help: 'abort (original untouched, exit 1) when a status variable reaches its limit, e.g. `Threads_running=80`',
    parse: parseLoad,
    absent: [],
    socket: { help: 'abort when a status variable reaches its limit', render: renderLoad },
  },
  'critical-load-interval-millis': {
    key: 'criticalLoadIntervalMillis',
    arg: 'ms',
    group: 'throttle',
    help: '0: abort at once on critical load; else re-check once after this long and abort only if still critical',
    ...int(0, 3_600_000),
    default: '0',
  },
  'nice-ratio': {
    key: 'niceRatio',
    arg: 'ratio',
    group: 'throttle',
    help: "sleep this fraction of each chunk's copy time after it (`0.7` adds 70%)",
    ...decimal(0, 100),
    default: '0',
    socket: { help: 'sleep this fraction of each chunk time (0.7 adds 70%)', render: String },
  },
  'throttle-query': {
    key: 'throttleQuery',
    arg: 'sql',
    group: 'throttle',
    help: 'throttle while this query returns a value > 0',
    parse: text,
    absent: null,
    nonEmpty: true,
    socket: {
      help: 'throttle while it returns a value > 0 (empty clears it)',
      // An empty query clears it.
      parse: (t: string): Parsed<string | null> => ok(t === '' ? null : t),
      render: renderText,
    },
  },
  'throttle-control-replicas': {
    key: 'throttleControlReplicas',
    arg: 'host:port,...',
    group: 'throttle',
    help: "replicas whose lag counts, `host[:port],...` (port 3306 when absent); absent or empty: the primary's, discovered",
    parse: parseReplicaList,
    absent: [],
    socket: { help: 'replicas whose lag counts (empty: discover them)', render: renderReplicaList },
  },
  'throttle-flag-file': {
    key: 'throttleFlagFile',
    group: 'throttle',
    help: 'throttle while this file exists',
    ...OPTIONAL_PATH,
  },
  'throttle-additional-flag-file': {
    key: 'throttleAdditionalFlagFile',
    arg: 'path',
    group: 'throttle',
    help: 'throttle while this file exists; shared by every run (`""` turns it off)',
    // Shared by every run; an empty value turns it off (gh-ost's behaviour).
    parse: (t: string): Parsed<string | null> => ok(t.trim() === '' ? null : t),
    default: '/tmp/osc.throttle',
  },

  // ---- cut-over
  'postpone-cut-over-flag-file': {
    key: 'postponeCutOverFlagFile',
    group: 'cutover',
    help: 'when the copy is done, keep replaying and wait while this file exists (or until `unpostpone`)',
    ...OPTIONAL_PATH,
    socket: {
      help: 'create this file and postpone cut-over while it exists',
      parse: (t: string): Parsed<string> => (t === '' ? { ok: false, expected: 'a file path' } : ok(t)),
      render: renderText,
    },
  },
  'cut-over-lock-timeout-seconds': {
    key: 'cutOverLockTimeoutSeconds',
    arg: 'seconds',
    group: 'cutover',
    help: 'lock wait per cut-over attempt; writes are blocked at most about twice this long',
    ...int(1, 60),
    default: '3',
  },
  'default-retries': {
    key: 'defaultRetries',
    arg: 'n',
    group: 'cutover',
    help: 'cut-over attempts, and retries of other retryable operations',
    ...int(1, Number.MAX_SAFE_INTEGER),
    default: '60',
  },
  'force-named-cut-over': {
    key: 'forceNamedCutOver',
    group: 'cutover',
    help: '`unpostpone` must name the table (`unpostpone=<table>`)',
    ...SWITCH,
  },
  'skip-checksum': {
    key: 'skipChecksum',
    group: 'cutover',
    help: 'swap without first comparing the new table with the original (checksum per chunk, differing ranges re-copied); the summary then says the result was not verified',
    ...SWITCH,
  },

  // ---- control, output and hooks
  'panic-flag-file': {
    key: 'panicFlagFile',
    group: 'operator',
    help: 'abort at once, original untouched, when this file appears',
    ...OPTIONAL_PATH,
  },
  'force-named-panic': {
    key: 'forceNamedPanic',
    group: 'operator',
    help: '`panic` must name the table (`panic=<table>`)',
    ...SWITCH,
  },
  'serve-socket-file': {
    key: 'serveSocketFile',
    arg: 'path',
    group: 'operator',
    help:
      `the control socket (mode 0600, removed on exit; at most ${MAX_SOCKET_PATH_BYTES} bytes; ` +
      'for long or odd names the default is hashed, logged at startup)',
    parse: socketPath,
    // cli/options.ts derives the default from the database and table names.
    absent: null,
    shown: '/tmp/osc.<database>.<table>.sock',
    nonEmpty: true,
  },
  'serve-tcp-port': {
    key: 'serveTcpPort',
    arg: 'port',
    group: 'operator',
    help: 'also serve the control protocol on `127.0.0.1:<port>` (loopback only)',
    ...int(1, 65535),
    absent: null,
  },
  'metrics-address': {
    key: 'metricsAddress',
    arg: 'host:port|off',
    group: 'operator',
    help: '`host:port` serving Prometheus `/metrics`; `off` disables it',
    parse: parseMetricsAddress,
    default: '127.0.0.1:9466',
  },
  'hooks-path': {
    key: 'hooksPath',
    arg: 'dir',
    group: 'operator',
    help: 'directory of `osc-on-*` hook executables, run at each phase',
    parse: text,
    absent: null,
    nonEmpty: true,
  },
  'status-interval': {
    key: 'statusIntervalSeconds',
    arg: 'seconds',
    group: 'operator',
    help: 'seconds between status lines',
    ...int(1, 3600),
    default: '5',
  },
  'log-format': {
    key: 'logFormat',
    arg: 'format',
    group: 'operator',
    help: '`text` or `json` log lines on stderr',
    parse: logFormat,
    default: 'text',
  },
  verbose: { key: 'verbose', group: 'operator', help: 'debug lines, and the causes of errors', ...SWITCH },
  quiet: { key: 'quiet', group: 'operator', help: 'only warnings, errors and the final summary', ...SWITCH },
} as const satisfies Readonly<Record<string, FlagSpec>>;

export type Flags = typeof FLAGS;
export type FlagName = keyof Flags;

/** Every flag name, in the list's order. */
export const FLAG_NAMES = Object.keys(FLAGS) as FlagName[];

/** A flag's spec without its literal types, for code that walks the list. */
export function flagSpec(name: FlagName): FlagSpec {
  return FLAGS[name];
}

type ParsedValue<P> = P extends (text: string) => FlagParsed<infer T> ? T : never;
type AbsentValue<F> = F extends { readonly absent: infer A } ? Exclude<A, typeof REQUIRED> : never;
/** The value a flag yields: what its parser returns, or its `absent` value. */
export type FlagValue<N extends FlagName> = ParsedValue<Flags[N]['parse']> | AbsentValue<Flags[N]>;

/** Every flag's value, under its config key. */
export type FlagValues = { [N in FlagName as Flags[N]['key']]: FlagValue<N> };

/** The control socket's settable values: the flags with a `socket` entry, named as the flag is. */
export type SettingName = { [N in FlagName]: Flags[N] extends { readonly socket: SocketSpec } ? N : never }[FlagName];

export const SETTING_NAMES = FLAG_NAMES.filter((n): n is SettingName => flagSpec(n).socket !== undefined);

/** The --conf [client] keys the list accepts. */
export type ConfKey = {
  [N in FlagName]: Flags[N] extends { readonly conf: infer C extends string } ? C : never;
}[FlagName];

export const CONF_KEYS = FLAG_NAMES.map((n) => flagSpec(n).conf).filter((k): k is ConfKey => k !== undefined);

/** `--chunk-size` -> `chunkSize`: commander's attribute name, and cli/options.ts's RawFlags key. */
export type CamelCase<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

export function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

export function shortRange([min, max]: readonly [number, number]): string {
  return max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
}

/** The default as --help and README show it, or null when there is none worth showing. */
export function shownDefault(name: FlagName): string | null {
  const spec = flagSpec(name);
  return spec.shown ?? spec.default ?? null;
}

/**
 * The help text with its range, whether it is required, and where else the value may come from. `markdown`:
 * backticks kept as code spans; otherwise dropped (the terminal shows the text as it is typed).
 */
export function flagHelp(name: FlagName, markdown: boolean): string {
  const spec = flagSpec(name);
  const code = (t: string): string => (markdown ? `\`${t}\`` : t);
  const also = [
    spec.env === undefined ? null : `env ${code(spec.env)}`,
    spec.conf === undefined ? null : `${code(`${spec.conf}=`)} in --conf`,
  ].filter((s): s is string => s !== null);
  let help = spec.help;
  if (spec.range !== undefined) help += `, ${shortRange(spec.range)}`;
  if (spec.absent === REQUIRED) help += ', required';
  if (also.length > 0) help += `; also from ${also.join(', ')}`;
  return markdown ? help : help.replaceAll('`', '');
}
