// The control socket's language, pure: one line -> a Command (or why not), and the reply texts.
// gh-ost's names, aliases and forms: `cmd`, `cmd=value` (value trimmed, then unquoted when it is a
// quoted string), `cmd=?` to read. `throttle`, `no-throttle`, `unpostpone` and `panic` take the
// table name as a safety argument, `panic=orders` as in gh-ost and also `panic orders`.
import type { TunableValues, TunablesWriter } from '../tunables.js';
import type { ProgressSnapshot } from '../progress.js';
import { renderStatusLine } from '../progress.js';
import type { Parsed } from './values.js';
import {
  TUNABLE_RANGES,
  parseInteger,
  parseLoad,
  parseNiceRatio,
  parseReplicaList,
  renderLoad,
  renderReplicaList,
} from './values.js';

export type InfoName = 'help' | 'status' | 'sup' | 'coordinates';
export type SettingName =
  | 'chunk-size'
  | 'dml-batch-size'
  | 'max-lag-millis'
  | 'max-load'
  | 'critical-load'
  | 'nice-ratio'
  | 'throttle-query'
  | 'throttle-control-replicas'
  | 'postpone-cut-over-flag-file';
/** Commands that act once and accept the table name as a safety argument. */
export type ActionName = 'throttle' | 'no-throttle' | 'unpostpone' | 'panic';
export type CommandName = InfoName | SettingName | ActionName;

type CommandKind = 'info' | 'setting' | 'action';

interface CommandSpec {
  readonly kind: CommandKind;
  /** How it is written in `help`. */
  readonly usage: string;
  readonly help: string;
}

/** Every command, in `help` order. A new CommandName without an entry does not compile. */
export const COMMANDS: Readonly<Record<CommandName, CommandSpec>> = {
  help: { kind: 'info', usage: 'help', help: 'this list' },
  status: { kind: 'info', usage: 'status', help: 'detailed status: the status line and every tunable (alias: info)' },
  sup: { kind: 'info', usage: 'sup', help: 'the status line' },
  coordinates: { kind: 'info', usage: 'coordinates', help: 'the binlog position replayed so far' },
  'chunk-size': { kind: 'setting', usage: 'chunk-size=<rows>', help: 'rows per copy chunk' },
  'dml-batch-size': { kind: 'setting', usage: 'dml-batch-size=<n>', help: 'binlog events replayed per transaction' },
  'max-lag-millis': { kind: 'setting', usage: 'max-lag-millis=<ms>', help: 'throttle when a replica lags more' },
  'max-load': { kind: 'setting', usage: 'max-load=<var=n,...>', help: 'throttle while a status variable is at or over its limit' },
  'critical-load': { kind: 'setting', usage: 'critical-load=<var=n,...>', help: 'abort when a status variable reaches its limit' },
  'nice-ratio': { kind: 'setting', usage: 'nice-ratio=<ratio>', help: 'sleep this fraction of each chunk time (0.7 adds 70%)' },
  'throttle-query': { kind: 'setting', usage: 'throttle-query=<sql>', help: 'throttle while it returns a value > 0 (empty clears it)' },
  'throttle-control-replicas': {
    kind: 'setting',
    usage: 'throttle-control-replicas=<host:port,...>',
    help: 'replicas whose lag counts (empty: discover them)',
  },
  'postpone-cut-over-flag-file': {
    kind: 'setting',
    usage: 'postpone-cut-over-flag-file=<path>',
    help: 'create this file and postpone cut-over while it exists',
  },
  throttle: { kind: 'action', usage: 'throttle[=<table>]', help: 'force throttling (aliases: pause, suspend)' },
  'no-throttle': {
    kind: 'action',
    usage: 'no-throttle[=<table>]',
    help: 'end forced throttling; other reasons may still apply (aliases: unthrottle, resume, continue)',
  },
  unpostpone: { kind: 'action', usage: 'unpostpone[=<table>]', help: 'cut over now instead of waiting (aliases: no-postpone, cut-over)' },
  panic: { kind: 'action', usage: 'panic[=<table>]', help: 'abort the migration at once; the original table stays untouched' },
};

/** gh-ost's aliases. */
export const ALIASES: Readonly<Record<string, CommandName>> = {
  info: 'status',
  pause: 'throttle',
  suspend: 'throttle',
  unthrottle: 'no-throttle',
  resume: 'no-throttle',
  continue: 'no-throttle',
  'no-postpone': 'unpostpone',
  'cut-over': 'unpostpone',
};

/** The Tunables field behind each setting. */
interface SettingKeys {
  'chunk-size': 'chunkSize';
  'dml-batch-size': 'dmlBatchSize';
  'max-lag-millis': 'maxLagMillis';
  'max-load': 'maxLoad';
  'critical-load': 'criticalLoad';
  'nice-ratio': 'niceRatio';
  'throttle-query': 'throttleQuery';
  'throttle-control-replicas': 'throttleControlReplicas';
  'postpone-cut-over-flag-file': 'postponeCutOverFlagFile';
}

interface SettingSpec<K extends keyof TunableValues> {
  readonly key: K;
  readonly parse: (text: string) => Parsed<TunableValues[K]>;
  /** The value as it would be set: `name=<render>` round-trips. */
  readonly render: (value: TunableValues[K]) => string;
}

const text = (v: string | null): string => v ?? '';

const SETTINGS: { readonly [N in SettingName]: SettingSpec<SettingKeys[N]> } = {
  'chunk-size': { key: 'chunkSize', parse: (t) => parseInteger(t, TUNABLE_RANGES.chunkSize), render: String },
  'dml-batch-size': { key: 'dmlBatchSize', parse: (t) => parseInteger(t, TUNABLE_RANGES.dmlBatchSize), render: String },
  'max-lag-millis': { key: 'maxLagMillis', parse: (t) => parseInteger(t, TUNABLE_RANGES.maxLagMillis), render: String },
  'max-load': { key: 'maxLoad', parse: parseLoad, render: renderLoad },
  'critical-load': { key: 'criticalLoad', parse: parseLoad, render: renderLoad },
  'nice-ratio': { key: 'niceRatio', parse: parseNiceRatio, render: String },
  // An empty query clears it.
  'throttle-query': { key: 'throttleQuery', parse: (t) => ({ ok: true, value: t === '' ? null : t }), render: text },
  'throttle-control-replicas': { key: 'throttleControlReplicas', parse: parseReplicaList, render: renderReplicaList },
  'postpone-cut-over-flag-file': {
    key: 'postponeCutOverFlagFile',
    parse: (t) => (t === '' ? { ok: false, expected: 'a file path' } : { ok: true, value: t }),
    render: text,
  },
};

export type SetCommand = {
  readonly [N in SettingName]: {
    readonly kind: 'set';
    readonly name: N;
    readonly value: TunableValues[SettingKeys[N]];
  };
}[SettingName];

export type Command =
  | { readonly kind: 'info'; readonly name: InfoName }
  | { readonly kind: 'read'; readonly name: SettingName }
  | SetCommand
  | { readonly kind: 'action'; readonly name: ActionName; readonly table: string | null };

export interface ProtocolError {
  readonly kind: 'error';
  readonly message: string;
}

const fail = (message: string): ProtocolError => ({ kind: 'error', message });

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** gh-ost unquotes with Go's strconv.Unquote: "double" (with escapes) and `back` quotes. */
function unquote(arg: string): string {
  if (arg.length >= 2 && arg.startsWith('`') && arg.endsWith('`') && !arg.slice(1, -1).includes('`')) return arg.slice(1, -1);
  if (arg.length >= 2 && arg.startsWith('"') && arg.endsWith('"')) {
    try {
      const v: unknown = JSON.parse(arg);
      if (typeof v === 'string') return v;
    } catch {
      // Not a well-formed quoted string: keep it as typed, like gh-ost.
    }
  }
  return arg;
}

export function parseCommand(line: string): Command | ProtocolError {
  const trimmed = line.trim();
  if (trimmed === '') return fail('empty command; send help for the list');

  const eq = trimmed.indexOf('=');
  let word: string;
  let arg: string | null = null;
  let spaced = false;
  if (eq >= 0) {
    word = trimmed.slice(0, eq).trim();
    arg = unquote(trimmed.slice(eq + 1).trim());
  } else {
    const m = /^(\S+)\s+(.+)$/.exec(trimmed);
    word = m?.[1] ?? trimmed;
    if (m?.[2] !== undefined) {
      arg = m[2];
      spaced = true;
    }
  }

  // hasOwn, not `in`/indexing: `toString` or `__proto__` must not resolve to Object.prototype.
  const name = Object.hasOwn(ALIASES, word) ? (ALIASES[word] ?? null) : isCommandName(word) ? word : null;
  if (name === null) return fail(`unknown command: ${word}; send help for the list`);
  const spec = COMMANDS[name];

  switch (spec.kind) {
    case 'info': {
      const info = name as InfoName;
      if (arg === null || (arg === '?' && !spaced)) return { kind: 'info', name: info };
      return fail(info === 'coordinates' ? 'coordinates are read-only' : `${word} takes no value`);
    }
    case 'setting': {
      const setting = name as SettingName;
      if (arg === null || spaced) return fail(`${word} needs a value: ${COMMANDS[setting].usage} to set, ${setting}=? to read`);
      if (arg === '?') return { kind: 'read', name: setting };
      return parseSetting(setting, arg);
    }
    case 'action':
      return { kind: 'action', name: name as ActionName, table: arg === null || arg === '' ? null : arg };
  }
}

function parseSetting(name: SettingName, arg: string): SetCommand | ProtocolError {
  const spec = SETTINGS[name] as unknown as SettingSpec<keyof TunableValues>;
  const parsed = spec.parse(arg);
  if (!parsed.ok) return fail(`invalid ${name} ${JSON.stringify(arg)}: expected ${parsed.expected}`);
  return { kind: 'set', name, value: parsed.value } as SetCommand;
}

/** The one place a parsed setting reaches the writer (the name -> field mapping lives in SETTINGS). */
export function applySetting(writer: TunablesWriter, command: SetCommand): void {
  const spec = SETTINGS[command.name] as unknown as SettingSpec<keyof TunableValues>;
  writer.set(spec.key, command.value);
}

/** A setting's current value, written as `name=<value>` would set it. */
export function renderSetting(name: SettingName, values: TunableValues): string {
  const spec = SETTINGS[name] as unknown as SettingSpec<keyof TunableValues>;
  return spec.render(values[spec.key]);
}

/** A set command's new value, as `renderSetting` would show it. */
export function renderSetValue(command: SetCommand): string {
  const spec = SETTINGS[command.name] as unknown as SettingSpec<keyof TunableValues>;
  return spec.render(command.value);
}

/**
 * The table-name safety check of `throttle`, `no-throttle`, `unpostpone` and `panic` (gh-ost's):
 * a name, when given, must be the migrated table's; `--force-named-cut-over` makes it required for
 * `unpostpone`, `--force-named-panic` for `panic`. Returns the refusal, or null.
 */
export function checkTableArgument(
  name: ActionName,
  given: string | null,
  table: string,
  force: { readonly cutOver: boolean; readonly panic: boolean },
): string | null {
  if (given === null) {
    if (name === 'unpostpone' && force.cutOver) return `unpostpone must name the table (unpostpone=${table}): --force-named-cut-over is set`;
    if (name === 'panic' && force.panic) return `panic must name the table (panic=${table}): --force-named-panic is set`;
    return null;
  }
  return given === table ? null : `${name} names table ${given}, but this migration is on ${table}; nothing done`;
}

const SETTING_ORDER = (Object.keys(COMMANDS) as CommandName[]).filter((n): n is SettingName => COMMANDS[n].kind === 'setting');

/** Every tunable as `name=value`, one a line, then the two switches only commands flip. */
export function renderTunables(values: TunableValues): string {
  const lines = SETTING_ORDER.map((n) => `${n}=${renderSetting(n, values)}`);
  lines.push(`throttled-by-user=${values.throttledByUser}`, `cut-over-released=${values.cutOverReleased}`);
  return lines.join('\n') + '\n';
}

/** `status` / `info`: what is migrating, the status line, then the tunables. */
export function renderStatus(snapshot: ProgressSnapshot, values: TunableValues): string {
  return `# migrating ${snapshot.database}.${snapshot.table}\n${renderStatusLine(snapshot)}\n${renderTunables(values)}`;
}

export function renderHelp(): string {
  const names = Object.keys(COMMANDS) as CommandName[];
  const width = Math.max(...names.map((n) => COMMANDS[n].usage.length));
  const lines = names.map((n) => `${COMMANDS[n].usage.padEnd(width)}  # ${COMMANDS[n].help}`);
  lines.push(`- send name=? to read a value instead of setting it, e.g. max-load=?`);
  return `available commands:\n${lines.join('\n')}\n`;
}

export function renderError(message: string): string {
  return `error: ${message}\n`;
}

export function renderOk(message: string): string {
  return `ok: ${message}\n`;
}
