// `osc ctl [--socket PATH | --database D --table T | --tcp-port N] <command...>`: sends one command
// to a running migration and prints its reply. For operators without nc.
import { Command, CommanderError, Option } from 'commander';
import { defaultSocketFile } from '../core/names.js';
import { parseInteger } from '../core/control/values.js';
import { OscError } from '../core/errors.js';
import { sendControlCommand } from '../operator/control-client.js';
import type { ControlTarget } from '../operator/control-client.js';

export interface CtlIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const CTL_OK = 0;
/** The migration answered `error: ...`: the command was refused and nothing changed. */
export const CTL_REFUSED_COMMAND = 1;
/** Bad usage, or no migration listens there. */
export const CTL_UNREACHABLE = 2;

interface CtlFlags {
  socket?: string;
  database?: string;
  table?: string;
  tcpPort?: string;
  timeoutSeconds?: string;
}

function buildCtl(io: CtlIO): Command {
  return new Command('osc ctl')
    .description(
      "Send one command to a running migration's control socket and print the reply.\n" +
        'Examples: osc ctl --database shop --table orders status; osc ctl --socket /tmp/osc.shop.orders.sock chunk-size=500',
    )
    .argument(
      '<command...>',
      'the command, e.g. status, throttle, chunk-size=500, max-load=?, panic=orders (osc ctl ... help lists them)',
    )
    .addOption(new Option('--socket <path>', "the migration's --serve-socket-file"))
    .addOption(new Option('--database <name>', 'with --table: use the default socket /tmp/osc.<database>.<table>.sock'))
    .addOption(new Option('--table <name>', 'with --database'))
    .addOption(new Option('--tcp-port <port>', "the migration's --serve-tcp-port (127.0.0.1)"))
    .addOption(new Option('--timeout-seconds <s>', 'give up when no reply comes within this long').default('10'))
    .helpOption('-h, --help', 'show this help and exit')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
}

function target(flags: CtlFlags): ControlTarget | string {
  const ways = [
    flags.socket !== undefined,
    flags.database !== undefined || flags.table !== undefined,
    flags.tcpPort !== undefined,
  ];
  if (ways.filter(Boolean).length !== 1)
    return 'give exactly one of --socket PATH, --database D --table T, or --tcp-port N';
  if (flags.socket !== undefined) return { socketFile: flags.socket };
  if (flags.tcpPort !== undefined) {
    const port = parseInteger(flags.tcpPort, [1, 65535]);
    return port.ok
      ? { tcpPort: port.value }
      : `invalid --tcp-port ${JSON.stringify(flags.tcpPort)}: expected ${port.expected}`;
  }
  if (flags.database === undefined || flags.table === undefined) return '--database and --table go together';
  return { socketFile: defaultSocketFile(flags.database, flags.table) };
}

/** argv: what follows `osc ctl`. Returns the exit code; never exits the process. */
export async function runCtl(args: readonly string[], io: CtlIO): Promise<number> {
  const program = buildCtl(io);
  try {
    program.parse([...args], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? CTL_OK : CTL_UNREACHABLE;
    throw err;
  }
  const flags = program.opts<CtlFlags>();
  const where = target(flags);
  const timeout = parseInteger(flags.timeoutSeconds ?? '10', [1, 3600]);
  const usage = (message: string): number => {
    io.stderr(`osc ctl: ${message}\nsee osc ctl --help\n`);
    return CTL_UNREACHABLE;
  };
  if (typeof where === 'string') return usage(where);
  if (!timeout.ok)
    return usage(`invalid --timeout-seconds ${JSON.stringify(flags.timeoutSeconds)}: expected ${timeout.expected}`);
  const line = program.args.join(' ');
  try {
    const reply = await sendControlCommand(where, line, timeout.value * 1000);
    io.stdout(reply);
    return reply.startsWith('error:') ? CTL_REFUSED_COMMAND : CTL_OK;
  } catch (err) {
    if (!(err instanceof OscError)) throw err;
    io.stderr(`osc ctl: ${err.message}\n`);
    return CTL_UNREACHABLE;
  }
}
