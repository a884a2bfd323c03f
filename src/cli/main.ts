// The CLI's wiring: argv -> config -> runMigration, signals -> AbortController, errors -> exit code.
// Never calls process.exit; bin/osc.ts sets process.exitCode from the returned number.
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { CommanderError } from 'commander';
import { MigrationError, errorCode, isRefusal } from '../core/errors.js';
import type { MigrationConfig } from '../core/config.js';
import type { ChecksumTesting } from '../stages/checksum/checksum.js';
import type { CutOverTesting } from '../stages/cutover/cutover.js';
import { createLogger } from '../core/log.js';
import { createTerminal } from '../operator/terminal.js';
import type { Logger } from '../core/log.js';
import { tlsFiles } from '../io/db/tls.js';
import { promptPassword } from './ask-pass.js';
import { loadConfFile } from './conf-file.js';
import type { ConfFile } from './conf-file.js';
import { PASSWORD_ENV, parseOptions, withPassword } from './options.js';
import type { RawFlags } from './options.js';
import { HELP_HINT, parseArgv } from './program.js';

// Function-valued properties rather than methods: main passes them around unbound.
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** When given, the caller owns cancellation and no signal handlers are installed. */
  signal?: AbortSignal;
  readFile: (path: string) => string;
  /** Tests only (a pause inside the cut-over, to kill the process there); the command line never sets it. */
  cutOverTesting?: CutOverTesting;
  /** Tests only (a shorter re-check interval, a pause after each checksum chunk); the command line never sets it. */
  checksumTesting?: ChecksumTesting;
  /** --ask-pass: shows the prompt and returns what was typed (not echoed). Default: the terminal on stdin. */
  askPassword: (prompt: string) => Promise<string>;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_REFUSED = 2;

function defaultIO(): CliIO {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    readFile: (path) => readFileSync(path, 'utf8'),
    askPassword: (prompt) => promptPassword(process.stdin, (t) => void process.stderr.write(t), prompt),
  };
}

/** package.json's version; the module sits two levels deep from tsx and three from dist/. */
export function packageVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'osc' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not there from this layout; try the next.
    }
  }
  return 'unknown';
}

function causeChain(err: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = err instanceof Error ? err.cause : undefined;
  // Bounded: a cause cycle must not hang the error path.
  for (let i = 0; cur !== undefined && cur !== null && i < 10; i++) {
    out.push(
      cur instanceof Error ? cur.message : typeof cur === 'string' ? cur : inspect(cur, { breakLength: Infinity }),
    );
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return out;
}

/** Masks secrets in text that may echo driver or user input. Very short secrets would mask ordinary words. */
function redactor(secrets: readonly (string | undefined)[]): (text: string) => string {
  const masks = secrets.filter((s): s is string => s !== undefined && s.length >= 4);
  return (text) => masks.reduce((t, s) => t.split(s).join('***'), text);
}

function reportError(err: unknown, logger: Logger, io: CliIO, verbose: boolean, redact: (t: string) => string): number {
  const message = redact(err instanceof Error ? err.message : String(err));
  const causes = verbose ? causeChain(err).map(redact) : [];
  const code = errorCode(err);
  logger.error('error', { code, message, cause: causes.length > 0 ? causes.join(' <- ') : undefined });
  let text = `osc: ${message}\n`;
  for (const c of causes) text += `  caused by: ${c}\n`;
  if (code === 'BAD_USAGE') text += `${HELP_HINT}\n`;
  io.stderr(text);
  return isRefusal(err) ? EXIT_REFUSED : EXIT_FAILED;
}

export async function main(argv: readonly string[], ioOverrides: Partial<CliIO> = {}): Promise<number> {
  const io: CliIO = { ...defaultIO(), ...ioOverrides };
  // `osc ctl ...` talks to a running migration; it shares none of the migration's flags.
  if (argv[2] === 'ctl') {
    const { runCtl } = await import('./ctl.js');
    return runCtl(argv.slice(3), io);
  }

  let raw: RawFlags;
  try {
    raw = parseArgv(argv, packageVersion(), { stdout: io.stdout, stderr: io.stderr });
  } catch (err) {
    // commander has already written its message (and the hint) to stderr, or the help/version to stdout.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_REFUSED;
    throw err;
  }

  const verbose = raw.verbose === true;
  // A bad --log-format is reported in text: options.ts names it below.
  // The live progress line only on a real terminal, and only when stderr is process.stderr (tests capture it).
  const terminal = createTerminal({
    write: io.stderr,
    isTTY: ioOverrides.stderr === undefined && process.stderr.isTTY === true,
    columns: () => process.stderr.columns,
  });
  const logger = createLogger({
    format: raw.logFormat === 'json' ? 'json' : 'text',
    verbose,
    quiet: raw.quiet === true,
    write: terminal.write,
  });
  let conf: ConfFile | null = null;
  let asked: string | undefined;
  const secrets = () => redactor([raw.password, io.env[PASSWORD_ENV], conf?.password, asked]);

  let config: MigrationConfig;
  try {
    conf = raw.conf === undefined ? null : loadConfFile(raw.conf, io.readFile);
    config = parseOptions(raw, io.env, conf);
    // Unreadable certificate files are bad usage, found before any connection.
    if (config.connection.tls !== undefined) tlsFiles(config.connection.tls);
    if (raw.askPass === true) {
      const { user, host, port } = config.connection;
      asked = await io.askPassword(`Enter password for ${user}@${host}:${port}: `);
      config = withPassword(config, asked);
    }
  } catch (err) {
    return reportError(err, logger, io, verbose, secrets());
  }

  const controller = new AbortController();
  let stopSignals = () => {};
  if (io.signal === undefined) {
    let received: NodeJS.Signals | null = null;
    const onSignal = (sig: NodeJS.Signals) => {
      // Stay installed after the first: a second Ctrl-C must not kill osc before cleanup finishes.
      if (received !== null) {
        logger.warn('signal', { signal: sig, action: 'already stopping; waiting for cleanup' });
        return;
      }
      received = sig;
      logger.warn('signal', { signal: sig, action: 'stopping; cleaning up' });
      controller.abort(new MigrationError('ABORTED', `interrupted by ${sig}`));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    stopSignals = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  }
  const signal = io.signal ?? controller.signal;

  try {
    // Loaded only now: --help, --version and usage errors need none of the migration's modules.
    const { runMigration } = await import('../migration.js');
    const result = await runMigration(config, {
      logger,
      out: io.stdout,
      signal,
      terminal,
      version: packageVersion(),
      ...(io.cutOverTesting === undefined ? {} : { cutOverTesting: io.cutOverTesting }),
      ...(io.checksumTesting === undefined ? {} : { checksumTesting: io.checksumTesting }),
    });
    if (result.summary !== '') io.stdout(result.summary.endsWith('\n') ? result.summary : result.summary + '\n');
    return EXIT_OK;
  } catch (err) {
    return reportError(err, logger, io, config.verbose, secrets());
  } finally {
    stopSignals();
  }
}
