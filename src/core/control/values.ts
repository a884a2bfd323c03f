// Pure parsers for the values an operator gives as flags and again as socket commands, so both
// accept exactly the same text. Each returns the value or the "expected ..." half of a message;
// the caller names the flag or command (`invalid --max-load "x": expected ...`).
import type { HostPort, LoadThreshold } from '../config.js';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly expected: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(expected: string): Parsed<T> => ({ ok: false, expected });

function rangeText([min, max]: readonly [number, number]): string {
  return max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
}

/** Plain decimal digits only: "1e3", "0x10", "10.5" and " 10" are refused rather than guessed at. */
export function parseInteger(text: string, range: readonly [number, number]): Parsed<number> {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < range[0] || n > range[1]) return bad(rangeText(range));
  return ok(n);
}

/** A decimal like gh-ost's --nice-ratio (`0.7` adds 70% to each chunk's time); no exponents, no signs. */
export function parseDecimal(text: string, [min, max]: readonly [number, number]): Parsed<number> {
  const n = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n) || n < min || n > max) return bad(`a decimal number from ${min} to ${max}`);
  return ok(n);
}

const LOAD_EXPECTED =
  'comma-separated variable=limit pairs such as Threads_running=25,Threads_connected=500 ' +
  '(variable: letters, digits and _; limit: a non-negative integer)';

/** `Threads_running=25,Threads_connected=500`; '' is no thresholds. A variable may appear once. */
export function parseLoad(text: string): Parsed<readonly LoadThreshold[]> {
  if (text.trim() === '') return ok([]);
  const out: LoadThreshold[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*([A-Za-z0-9_]+)\s*=\s*(\d+)\s*$/.exec(part);
    const limit = m?.[2] === undefined ? NaN : Number(m[2]);
    if (m === null || m[1] === undefined || !Number.isSafeInteger(limit)) return bad(LOAD_EXPECTED);
    const variable = m[1];
    if (out.some((t) => t.variable.toLowerCase() === variable.toLowerCase())) {
      return bad(`each variable once (${variable} is given twice)`);
    }
    out.push({ variable, limit });
  }
  return ok(out);
}

export function renderLoad(load: readonly LoadThreshold[]): string {
  return load.map((t) => `${t.variable}=${t.limit}`).join(',');
}

const HOST_PORT_EXPECTED = 'host:port with a port from 1 to 65535';

/** `host:port`, `[v6]:port`; with `defaultPort`, a bare host (or `[v6]`) is accepted too. */
export function parseHostPort(text: string, defaultPort: number | null = null): Parsed<HostPort> {
  const m = /^(?:\[([^\]\s]+)\]|([^:\s[\],]+))(?::(\d+))?$/.exec(text.trim());
  const host = m?.[1] ?? m?.[2];
  if (m === null || host === undefined)
    return bad(defaultPort === null ? HOST_PORT_EXPECTED : `host or ${HOST_PORT_EXPECTED}`);
  if (m[3] === undefined) {
    return defaultPort === null ? bad(HOST_PORT_EXPECTED) : ok({ host, port: defaultPort });
  }
  const port = Number(m[3]);
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) {
    return bad(defaultPort === null ? HOST_PORT_EXPECTED : `host or ${HOST_PORT_EXPECTED}`);
  }
  return ok({ host, port });
}

export function renderHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/** gh-ost's --throttle-control-replicas: `host[:port],...` (port 3306 when absent); '' = discover them. */
export function parseReplicaList(text: string): Parsed<readonly HostPort[]> {
  if (text.trim() === '') return ok([]);
  const out: HostPort[] = [];
  for (const part of text.split(',')) {
    const hp = parseHostPort(part, 3306);
    if (!hp.ok) return bad('comma-separated host[:port] entries (port 3306 when absent)');
    if (!out.some((o) => o.host === hp.value.host && o.port === hp.value.port)) out.push(hp.value);
  }
  return ok(out);
}

export function renderReplicaList(list: readonly HostPort[]): string {
  return list.map(renderHostPort).join(',');
}

/** --metrics-address: `host:port` or `off`. */
export function parseMetricsAddress(text: string): Parsed<HostPort | null> {
  if (text === 'off') return ok(null);
  const hp = parseHostPort(text);
  return hp.ok ? hp : bad(`${HOST_PORT_EXPECTED}, or off`);
}
