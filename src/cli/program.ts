// The commander program, its options generated from core/flags.ts. Values stay raw strings; options.ts
// validates them, so every bad value gets one message style and the conf file / environment can fill what
// flags leave out.
import { Command, Option } from 'commander';
import { FLAG_NAMES, camelCase, flagHelp, flagSpec, shownDefault } from '../core/flags.js';
import type { FlagName } from '../core/flags.js';
import type { RawFlags } from './options.js';

export interface ProgramOutput {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const HELP_HINT = 'see osc --help';

/** A flag's commander option; a shown default is display only (parseArgv keeps values given on the command line). */
export function flagOption(name: FlagName): Option {
  const spec = flagSpec(name);
  const option = new Option(spec.arg === undefined ? `--${name}` : `--${name} <${spec.arg}>`, flagHelp(name, false));
  const shown = shownDefault(name);
  return shown === null ? option : option.default(shown, shown);
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
  for (const name of FLAG_NAMES) program.addOption(flagOption(name));
  return program;
}

/**
 * Parses argv (node-style: [node, script, ...args]); throws commander's CommanderError on usage
 * errors, --help and --version (exitOverride). Returns only values given on the command line.
 */
export function parseArgv(argv: readonly string[], version: string, out: ProgramOutput): RawFlags {
  const program = buildProgram(version, out);
  program.parse([...argv], { from: 'node' });
  const values = program.opts<Record<string, unknown>>();
  const raw: Record<string, string | boolean> = {};
  for (const name of FLAG_NAMES) {
    const key = camelCase(name);
    const v = values[key];
    if (program.getOptionValueSource(key) === 'cli' && (typeof v === 'string' || v === true)) raw[key] = v;
  }
  return raw;
}
