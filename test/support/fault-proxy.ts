// A TCP proxy in front of the primary that loses the server's reply to one chosen statement: the statement runs on
// the server, the client never hears back. Everything else passes through untouched (osc's pool, the binlog reader).
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface LostReply {
  /** The first client connection that sends SQL matching this (in one packet) loses the reply to it. */
  readonly statement: RegExp;
  /**
   * After the reply was swallowed: 'cut' closes only the client's side, as a network cut would (the server keeps
   * the session until it is killed); 'end' closes the server's side too, so the server ends the session (and
   * releases its locks) at once.
   */
  readonly then: 'cut' | 'end';
  /** The client's side is closed once this resolves (default: at once). */
  readonly closeClientWhen?: () => Promise<void>;
}

export interface FaultProxy {
  readonly port: number;
  /** Resolves when rule `i` swallowed its reply. */
  fired(i: number): Promise<void>;
  /** Whether rule `i` swallowed its reply. */
  hasFired(i: number): boolean;
  close(): Promise<void>;
}

export async function startFaultProxy(
  target: { host: string; port: number },
  rules: readonly LostReply[],
): Promise<FaultProxy> {
  const armed = new Set<number>();
  const done = new Set<number>();
  const firedResolvers = rules.map(() => null as (() => void) | null);
  const firedPromises = rules.map((_, i) => new Promise<void>((r) => (firedResolvers[i] = r)));
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    let rule: number | null = null;
    let swallowing = false;
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', () => {
      sockets.delete(client);
      // A 'cut' keeps the server's side open after the client's is gone: the server must find out by itself.
      if (rule === null || rules[rule]?.then !== 'cut') upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      if (!swallowing) client.destroy();
    });
    client.on('data', (chunk: Buffer) => {
      if (rule === null) {
        const text = chunk.toString('utf8');
        const i = rules.findIndex((r, n) => !armed.has(n) && r.statement.test(text));
        if (i >= 0) {
          armed.add(i);
          rule = i;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (rule === null) {
        client.write(chunk);
        return;
      }
      if (swallowing) return;
      swallowing = true;
      const r = rules[rule]!;
      if (r.then === 'end') upstream.destroy();
      done.add(rule);
      firedResolvers[rule]?.();
      void (r.closeClientWhen?.() ?? Promise.resolve()).then(() => client.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    fired: (i) => firedPromises[i] ?? Promise.reject(new Error(`no rule ${i}`)),
    hasFired: (i) => done.has(i),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
