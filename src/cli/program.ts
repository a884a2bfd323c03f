// commander definitions only (gh-ost's flag names). Values stay raw strings; options.ts validates them,
// so every bad value gets one message style and the conf file / environment can fill what flags leave out.
import { Command, Option } from 'commander';
import { DEFAULTS } from '../core/config.js';
import { TUNABLE_RANGES } from '../core/control/values.js';
import { DEFAULT_HOST, PASSWORD_ENV, RANGES } from './options.js';
import type { RawFlags } from './options.js';

export interface ProgramOutput {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const HELP_HINT = 'see osc --help';

function range([min, max]: readonly [number, number]): string {
  return max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
}

/** An option whose default is shown in --help; the value itself comes from DEFAULTS in options.ts. */
function withDefault(flags: string, description: string, value: string | number): Option {
  return new Option(flags, description).default(String(value), String(value));
}

export function buildProgram(version: string, out: ProgramOutput): Command {
  const program = new Command('osc')
    .description(
      'Online schema change for MySQL and MariaDB without triggers: copy into a ghost table, replay the binlog, swap atomically.\n' +
        'Without --execute, osc checks everything, proves the ALTER on a ghost table, prints the plan and changes nothing.\n' +
        'osc ctl [--socket PATH | --database D --table T | --tcp-port N] <command> steers a running migration (osc ctl --help).',
    )
    .version(version, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .exitOverride()
    .showHelpAfterError(HELP_HINT)
    .configureOutput({ writeOut: out.stdout, writeErr: out.stderr });

  // Only flags given on the command line are returned (parseArgv), so a --conf file can still supply
  // host and port although --help shows their defaults.
  const options: readonly Option[] = [
    withDefault('--host <host>', 'MySQL/MariaDB primary to connect to', DEFAULT_HOST),
    withDefault('--port <port>', `TCP port, ${range(RANGES.port)}`, DEFAULTS.port),
    new Option('--user <user>', 'MySQL user (or user= in the --conf [client] section)'),
    new Option('--password <password>', `MySQL password (or env ${PASSWORD_ENV}, or password= in --conf)`),
    new Option('--conf <file>', 'my.cnf-style file; its [client] user, password, host and port are read'),
    new Option('--database <name>', 'schema holding the table (required)'),
    new Option('--table <name>', 'table to migrate (required)'),
    new Option('--alter <statement>', 'the ALTER: clauses such as "ADD COLUMN c INT" (required)'),
    new Option('--execute', 'really migrate; without it osc only checks and prints the plan (noop)'),
    withDefault('--chunk-size <rows>', `rows per copy chunk, ${range(RANGES.chunkSize)}`, DEFAULTS.chunkSize),
    withDefault(
      '--cut-over-lock-timeout-seconds <seconds>',
      `how long cut-over may hold locks per attempt, ${range(RANGES.cutOverLockTimeoutSeconds)}`,
      DEFAULTS.cutOverLockTimeoutSeconds,
    ),
    withDefault(
      '--default-retries <n>',
      `attempts for retryable operations such as cut-over, ${range(RANGES.defaultRetries)}`,
      DEFAULTS.defaultRetries,
    ),
    withDefault(
      '--replica-server-id <id>',
      `server_id of osc's binlog reader; must differ from every server's, ${range(RANGES.replicaServerId)}`,
      DEFAULTS.replicaServerId,
    ),
    new Option('--initially-drop-ghost-table', 'drop a leftover ghost table (_<table>_gho) before starting'),
    new Option('--initially-drop-old-table', 'drop a leftover old table (_<table>_del) before starting'),
    new Option('--ok-to-drop-table', 'drop the old table (_<table>_del) after a successful cut-over'),
    new Option('--approve-renamed-columns', 'accept the column renames osc detects in the ALTER'),
    new Option('--exact-rowcount', 'COUNT(*) the table instead of trusting the estimate'),
    new Option('--verbose', 'debug logging, and the cause of errors'),
    withDefault('--log-format <format>', 'log line format on stderr: text or json', DEFAULTS.logFormat),
    withDefault(
      '--status-interval <seconds>',
      `seconds between status lines, ${range(RANGES.statusIntervalSeconds)}`,
      DEFAULTS.statusIntervalSeconds,
    ),
    withDefault(
      '--heartbeat-interval-millis <ms>',
      `milliseconds between changelog heartbeats, ${range(RANGES.heartbeatIntervalMillis)}`,
      DEFAULTS.heartbeatIntervalMillis,
    ),
    withDefault('--dml-batch-size <n>', `binlog events replayed per transaction, ${range(RANGES.dmlBatchSize)}`, DEFAULTS.dmlBatchSize),
    // Throttling (gh-ost's flags).
    withDefault(
      '--max-lag-millis <ms>',
      `throttle the copy while a replica lags more than this, ${range(RANGES.maxLagMillis)}`,
      DEFAULTS.maxLagMillis,
    ),
    new Option(
      '--throttle-control-replicas <host:port,...>',
      'replicas whose lag throttles the copy (port 3306 when absent); default: discover them from the primary',
    ),
    new Option('--max-load <var=n,...>', 'throttle while a status variable is at or over its limit, e.g. Threads_running=25'),
    new Option('--critical-load <var=n,...>', 'abort (original untouched) when a status variable reaches its limit, e.g. Threads_running=80'),
    withDefault(
      '--critical-load-interval-millis <ms>',
      `0: abort at once on critical-load; else re-check once after this long, ${range(RANGES.criticalLoadIntervalMillis)}`,
      DEFAULTS.criticalLoadIntervalMillis,
    ),
    new Option('--throttle-flag-file <path>', 'throttle while this file exists'),
    withDefault(
      '--throttle-additional-flag-file <path>',
      'throttle while this file exists; shared by all runs ("" turns it off)',
      DEFAULTS.throttleAdditionalFlagFile,
    ),
    new Option('--throttle-query <sql>', 'throttle while this query returns a value > 0'),
    withDefault(
      '--nice-ratio <ratio>',
      `sleep this fraction of each chunk's copy time after it (0.7 adds 70%), ${TUNABLE_RANGES.niceRatio.join('..')}`,
      DEFAULTS.niceRatio,
    ),
    // Operator control.
    new Option('--postpone-cut-over-flag-file <path>', 'when the copy is done, keep replaying and wait while this file exists'),
    new Option('--panic-flag-file <path>', 'abort at once (original untouched) when this file appears'),
    new Option('--serve-socket-file <path>', 'control socket (mode 0600); default /tmp/osc.<database>.<table>.sock'),
    new Option('--serve-tcp-port <port>', `also serve the control protocol on 127.0.0.1:<port>, ${range(RANGES.serveTcpPort)}`),
    new Option('--force-named-cut-over', "the 'unpostpone' command must name the table (unpostpone=<table>)"),
    new Option('--force-named-panic', "the 'panic' command must name the table (panic=<table>)"),
    withDefault('--metrics-address <host:port|off>', 'serve Prometheus /metrics here; off disables it', DEFAULTS.metricsAddress),
    new Option('--hooks-path <dir>', 'run the osc-on-* executables found in this directory at each phase'),
    new Option('--quiet', 'print only warnings, errors and the final summary'),
  ];
  for (const option of options) program.addOption(option);
  return program;
}

const STRING_FLAGS = [
  'host',
  'port',
  'user',
  'password',
  'conf',
  'database',
  'table',
  'alter',
  'chunkSize',
  'cutOverLockTimeoutSeconds',
  'defaultRetries',
  'replicaServerId',
  'logFormat',
  'statusInterval',
  'heartbeatIntervalMillis',
  'dmlBatchSize',
  'maxLagMillis',
  'throttleControlReplicas',
  'maxLoad',
  'criticalLoad',
  'criticalLoadIntervalMillis',
  'throttleFlagFile',
  'throttleAdditionalFlagFile',
  'throttleQuery',
  'niceRatio',
  'postponeCutOverFlagFile',
  'panicFlagFile',
  'serveSocketFile',
  'serveTcpPort',
  'metricsAddress',
  'hooksPath',
] as const satisfies readonly (keyof RawFlags)[];

const BOOLEAN_FLAGS = [
  'execute',
  'initiallyDropGhostTable',
  'initiallyDropOldTable',
  'okToDropTable',
  'approveRenamedColumns',
  'exactRowcount',
  'verbose',
  'forceNamedCutOver',
  'forceNamedPanic',
  'quiet',
] as const satisfies readonly (keyof RawFlags)[];

/**
 * Parses argv (node-style: [node, script, ...args]); throws commander's CommanderError on usage
 * errors, --help and --version (exitOverride). Returns only values given on the command line.
 */
export function parseArgv(argv: readonly string[], version: string, out: ProgramOutput): RawFlags {
  const program = buildProgram(version, out);
  program.parse([...argv], { from: 'node' });
  const values = program.opts<Record<string, unknown>>();
  const raw: Record<string, string | boolean> = {};
  const fromCli = (key: string): boolean => program.getOptionValueSource(key) === 'cli';
  for (const key of STRING_FLAGS) {
    const v = values[key];
    if (fromCli(key) && typeof v === 'string') raw[key] = v;
  }
  for (const key of BOOLEAN_FLAGS) {
    if (fromCli(key) && values[key] === true) raw[key] = true;
  }
  return raw;
}
