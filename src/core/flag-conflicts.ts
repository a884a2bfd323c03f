// Flags that contradict each other: each pair is refused (exit 2) with a message that says which to drop,
// rather than osc silently preferring one.
import type { HostPort } from './config.js';
import type { FlagName } from './flags.js';
import { tlsConflicts, type TlsConfig } from './tls.js';

/** The values the checks look at, as parsed. */
export interface ConflictInput {
  /** Flags given on the command line (not from the environment, --conf or defaults). */
  readonly given: ReadonlySet<FlagName>;
  readonly tls: TlsConfig;
  readonly host: string;
  readonly files: Readonly<Partial<Record<FlagName, string | null>>>;
  readonly serveTcpPort: number | null;
  readonly metricsAddress: HostPort | null;
}

/** Metrics addresses that take the port on 127.0.0.1, where the TCP control port listens. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '0.0.0.0', '::', '::1']);

export function flagConflicts(v: ConflictInput): string[] {
  const out: string[] = [];
  const both = (a: FlagName, b: FlagName) => v.given.has(a) && v.given.has(b);
  if (both('quiet', 'verbose')) out.push('--quiet and --verbose contradict each other: give one of them');
  if (both('password', 'ask-pass')) {
    out.push('--password and --ask-pass both supply the password: drop --password (it shows in the process list)');
  }
  // One file meaning two things (throttle and panic, say) would do both at once.
  const byPath = new Map<string, FlagName[]>();
  for (const [name, path] of Object.entries(v.files) as [FlagName, string | null | undefined][]) {
    if (path === null || path === undefined) continue;
    byPath.set(path, [...(byPath.get(path) ?? []), name]);
  }
  for (const [path, names] of byPath) {
    if (names.length > 1) {
      out.push(`${names.map((n) => `--${n}`).join(' and ')} name the same file ${path}: give each its own file`);
    }
  }
  const m = v.metricsAddress;
  if (v.serveTcpPort !== null && m !== null && m.port === v.serveTcpPort && LOOPBACK.has(m.host)) {
    out.push(
      `--serve-tcp-port ${v.serveTcpPort} and --metrics-address ${m.host}:${m.port} want the same port: choose another for one of them`,
    );
  }
  out.push(...tlsConflicts(v.tls, v.given.has('ssl-mode')));
  return out;
}
