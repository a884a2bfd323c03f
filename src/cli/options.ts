// Pure: raw flags + environment + --conf file -> one frozen MigrationConfig, through core/flags.ts's list.
// Precedence for every value: flag > environment > conf file > default.
import { ConfigError } from '../core/errors.js';
import { FLAG_NAMES, REQUIRED, camelCase, flagSpec } from '../core/flags.js';
import type { CamelCase, FlagName, FlagParsed, FlagSpec, FlagValues, Flags } from '../core/flags.js';
import { defaultSocketFile } from '../core/names.js';
import type { MigrationConfig } from '../core/config.js';
import { flagConflicts } from '../core/flag-conflicts.js';
import { defaultSslMode, type TlsConfig } from '../core/tls.js';
import type { ConfFile } from './conf-file.js';

export { PASSWORD_ENV } from '../core/flags.js';

/** What program.ts hands over: only the flags given on the command line, values as typed, under commander's names. */
export type RawFlags = {
  readonly [N in FlagName as CamelCase<N>]?: Flags[N] extends { readonly arg: string } ? string : boolean;
};

export type Env = Readonly<Record<string, string | undefined>>;

/** A value and the name to blame when it is bad. */
interface Sourced {
  readonly value: string;
  readonly name: string;
  /** '' for flags and the environment, ' in --conf <path>' for the conf file. */
  readonly where: string;
}

/** The flag's text from the command line, else the environment, else the conf file; undefined when none has it. */
function pick(name: FlagName, raw: RawFlags, env: Env, conf: ConfFile | null): Sourced | undefined {
  const spec = flagSpec(name);
  const fromFlag = (raw as Readonly<Record<string, string | boolean | undefined>>)[camelCase(name)];
  if (typeof fromFlag === 'string') return { value: fromFlag, name: `--${name}`, where: '' };
  const fromEnv = spec.env === undefined ? undefined : env[spec.env];
  if (spec.env !== undefined && fromEnv !== undefined) return { value: fromEnv, name: spec.env, where: '' };
  const fromConf = spec.conf === undefined || conf === null ? undefined : conf[spec.conf as keyof ConfFile];
  if (spec.conf !== undefined && conf !== null && fromConf !== undefined) {
    return { value: fromConf, name: spec.conf, where: ` in --conf ${conf.path}` };
  }
  return undefined;
}

/** The value, or a ConfigError in the one message style: `invalid --flag "value": expected ...`. */
function check(spec: FlagSpec, given: Sourced): unknown {
  if (spec.nonEmpty === true && given.value.trim() === '') {
    throw new ConfigError('BAD_USAGE', `invalid ${given.name}${given.where}: must not be empty`);
  }
  const parsed: FlagParsed<unknown> = spec.parse(given.value);
  if (parsed.ok) return parsed.value;
  const why = 'reason' in parsed ? parsed.reason : `expected ${parsed.expected}`;
  throw new ConfigError('BAD_USAGE', `invalid ${given.name} ${JSON.stringify(given.value)}${given.where}: ${why}`);
}

/** The value when nothing supplies the flag: its typed default parsed, or its `absent` value. */
function absentValue(name: FlagName): unknown {
  const spec = flagSpec(name);
  return spec.default === undefined ? spec.absent : check(spec, { value: spec.default, name: `--${name}`, where: '' });
}

/** How the "missing required" message names a flag: with the conf key when the conf file may supply it. */
function missingText(name: FlagName): string {
  const key = flagSpec(name).conf;
  return key === undefined ? `--${name}` : `--${name} (or ${key}= in the [client] section of --conf)`;
}

function deepFreeze<T extends object>(obj: T): T {
  for (const v of Object.values(obj)) if (typeof v === 'object' && v !== null) deepFreeze(v as object);
  return Object.freeze(obj);
}

export function parseOptions(raw: RawFlags, env: Env, conf: ConfFile | null): MigrationConfig {
  const values: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const name of FLAG_NAMES) {
    const spec = flagSpec(name);
    let value: unknown;
    if (spec.arg === undefined) {
      value = (raw as Readonly<Record<string, unknown>>)[camelCase(name)] === true;
    } else {
      const given = pick(name, raw, env, conf);
      value = given === undefined ? absentValue(name) : check(spec, given);
    }
    if (value === REQUIRED) missing.push(missingText(name));
    values[spec.key] = value;
  }
  if (missing.length > 0) throw new ConfigError('BAD_USAGE', `missing required ${missing.join(', ')}`);

  const {
    host,
    port,
    user,
    password,
    askPass: _askPass,
    sslMode,
    sslCa,
    sslCert,
    sslKey,
    confFile: _fromFlag,
    serveSocketFile,
    ...rest
  } = values as FlagValues;
  const tls: TlsConfig = {
    mode: sslMode ?? defaultSslMode({ ca: sslCa, cert: sslCert }),
    ca: sslCa,
    cert: sslCert,
    key: sslKey,
  };
  const given = new Set(
    FLAG_NAMES.filter((n) => (raw as Readonly<Record<string, unknown>>)[camelCase(n)] !== undefined),
  );
  const conflicts = flagConflicts({
    given,
    tls,
    host,
    files: {
      'throttle-flag-file': rest.throttleFlagFile,
      'throttle-additional-flag-file': rest.throttleAdditionalFlagFile,
      'postpone-cut-over-flag-file': rest.postponeCutOverFlagFile,
      'panic-flag-file': rest.panicFlagFile,
      'serve-socket-file': serveSocketFile,
    },
    serveTcpPort: rest.serveTcpPort,
    metricsAddress: rest.metricsAddress,
  });
  if (conflicts.length > 0) throw new ConfigError('BAD_USAGE', conflicts.join('; '));
  const config: MigrationConfig = {
    // Plain connections carry no tls (disabled with certificate files is refused above).
    connection: { host, port, user, password, ...(tls.mode === 'disabled' ? {} : { tls }) },
    ...rest,
    // main.ts loads the file --conf names; its path is what the config reports.
    confFile: conf?.path ?? null,
    serveSocketFile: serveSocketFile ?? defaultSocketFile(rest.database, rest.table),
  };
  return deepFreeze(config);
}

/** The config with the password typed at --ask-pass's prompt. */
export function withPassword(config: MigrationConfig, password: string): MigrationConfig {
  return deepFreeze({ ...config, connection: { ...config.connection, password } });
}
