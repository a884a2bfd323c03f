// The control socket's language, pure: one line -> a Command (or why not), and the reply texts.
// gh-ost's names, aliases and forms: `cmd`, `cmd=value` (value trimmed, then unquoted when it is a
// quoted string), `cmd=?` to read. `throttle`, `no-throttle`, `unpostpone` and `panic` take the
// table name as a safety argument, `panic=orders` as in gh-ost and also `panic orders`.
import type { TunableValues, TunablesWriter } from '../tunables.js';
import type { ProgressSnapshot } from '../progress.js';
import { renderStatusLine } from '../progress.js';
import { FLAGS, SETTING_NAMES, flagSpec } from '../flags.js';
import type { Flags, SettingName } from '../flags.js';
import type { Parsed } from './values.js';

export type { SettingName } from '../flags.js';
export type InfoName = 'help' | 'status' | 'sup' | 'coordinates';
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

const INFO: Readonly<Record<InfoName, CommandSpec>> = {
  help: { kind: 'info', usage: 'help', help: 'this list' },
  status: { kind: 'info', usage: 'status', help: 'detailed status: the status line and every tunable (alias: info)' },
  sup: { kind: 'info', usage: 'sup', help: 'the status line' },
  coordinates: { kind: 'info', usage: 'coordinates', help: 'the binlog position replayed so far' },
};

const ACTIONS: Readonly<Record<ActionName, CommandSpec>> = {
  throttle: { kind: 'action', usage: 'throttle[=<table>]', help: 'force throttling (aliases: pause, suspend)' },
  'no-throttle': {
    kind: 'action',
    usage: 'no-throttle[=<table>]',
    help: 'end forced throttling; other reasons may still apply (aliases: unthrottle, resume, continue)',
  },
  unpostpone: {
    kind: 'action',
    usage: 'unpostpone[=<table>]',
    help: 'cut over now instead of waiting (aliases: no-postpone, cut-over)',
  },
  panic: {
    kind: 'action',
    usage: 'panic[=<table>]',
    help: 'abort the migration at once; the original table stays untouched',
  },
};

/** The settable values, from core/flags.ts: the flag's name, value placeholder and socket help. */
const SETTING_COMMANDS = Object.fromEntries(
  SETTING_NAMES.map((n) => [n, { kind: 'setting', usage: `${n}=<${FLAGS[n].arg}>`, help: FLAGS[n].socket.help }]),
) as Readonly<Record<SettingName, CommandSpec>>;

/** Every command, in `help` order: what it reads, the flags' settable values in the flags' order, the actions. */
export const COMMANDS: Readonly<Record<CommandName, CommandSpec>> = { ...INFO, ...SETTING_COMMANDS, ...ACTIONS };

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

/** The Tunables field behind each setting: the flag's config key (a key that is no tunable does not compile). */
type SettingKey<N extends SettingName> = Flags[N]['key'] & keyof TunableValues;

interface SettingSpec<K extends keyof TunableValues = keyof TunableValues> {
  readonly key: K;
  readonly parse: (text: string) => Parsed<TunableValues[K]>;
  readonly render: (value: TunableValues[K]) => string;
}

/** The socket's parser (its own when it has one, else the flag's) and renderer of a setting. */
function setting(name: SettingName): SettingSpec {
  const spec = flagSpec(name);
  const socket = spec.socket as NonNullable<typeof spec.socket>;
  return {
    key: spec.key as keyof TunableValues,
    parse: (socket.parse ?? spec.parse) as SettingSpec['parse'],
    render: socket.render as SettingSpec['render'],
  };
}

const SETTINGS = Object.fromEntries(SETTING_NAMES.map((n) => [n, setting(n)])) as Readonly<
  Record<SettingName, SettingSpec>
>;

export type SetCommand = {
  readonly [N in SettingName]: {
    readonly kind: 'set';
    readonly name: N;
    readonly value: TunableValues[SettingKey<N>];
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
  if (arg.length >= 2 && arg.startsWith('`') && arg.endsWith('`') && !arg.slice(1, -1).includes('`'))
    return arg.slice(1, -1);
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
      if (arg === null || spaced)
        return fail(`${word} needs a value: ${COMMANDS[setting].usage} to set, ${setting}=? to read`);
      if (arg === '?') return { kind: 'read', name: setting };
      return parseSetting(setting, arg);
    }
    case 'action':
      return { kind: 'action', name: name as ActionName, table: arg === null || arg === '' ? null : arg };
  }
}

function parseSetting(name: SettingName, arg: string): SetCommand | ProtocolError {
  const spec = SETTINGS[name];
  const parsed = spec.parse(arg);
  if (!parsed.ok) return fail(`invalid ${name} ${JSON.stringify(arg)}: expected ${parsed.expected}`);
  return { kind: 'set', name, value: parsed.value } as SetCommand;
}

/** The one place a parsed setting reaches the writer (the name -> field mapping lives in SETTINGS). */
export function applySetting(writer: TunablesWriter, command: SetCommand): void {
  const spec = SETTINGS[command.name];
  writer.set(spec.key, command.value);
}

/** A setting's current value, written as `name=<value>` would set it. */
export function renderSetting(name: SettingName, values: TunableValues): string {
  const spec = SETTINGS[name];
  return spec.render(values[spec.key]);
}

/** A set command's new value, as `renderSetting` would show it. */
export function renderSetValue(command: SetCommand): string {
  const spec = SETTINGS[command.name];
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
    if (name === 'unpostpone' && force.cutOver)
      return `unpostpone must name the table (unpostpone=${table}): --force-named-cut-over is set`;
    if (name === 'panic' && force.panic)
      return `panic must name the table (panic=${table}): --force-named-panic is set`;
    return null;
  }
  return given === table ? null : `${name} names table ${given}, but this migration is on ${table}; nothing done`;
}

const SETTING_ORDER = (Object.keys(COMMANDS) as CommandName[]).filter(
  (n): n is SettingName => COMMANDS[n].kind === 'setting',
);

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
