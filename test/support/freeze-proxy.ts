// A TCP proxy in front of the server whose connections can be frozen: it stops forwarding in both directions
// without closing anything, as a dead network path does (a half-open connection: neither side hears a thing).
// Connections opened after a freeze work normally. It honours backpressure, so a client that stops reading
// holds the server back instead of letting the proxy buffer the whole stream.
import { connect, createServer, type Socket } from 'node:net';

export interface ProxiedConnection {
  readonly id: number;
  /** The server's connection id (its thread id in the processlist), read from its handshake; null before it. */
  readonly threadId: number | null;
  readonly frozen: boolean;
  /** The client closed its side (for a frozen connection: it gave up on it). */
  readonly clientClosed: boolean;
}

export interface FreezeProxy {
  readonly host: string;
  readonly port: number;
  connections(): ProxiedConnection[];
  /** Freezes every connection open now; returns how many. */
  freezeAll(): number;
  /** Freezes the connection whose server thread id is `threadId`; false when there is none. */
  freeze(threadId: number): boolean;
  close(): Promise<void>;
}

interface Pair {
  id: number;
  threadId: number | null;
  frozen: boolean;
  clientClosed: boolean;
  handshake: Buffer;
  readonly client: Socket;
  readonly upstream: Socket;
}

/** The server's connection id in its first packet: length(3) seq(1) protocol(1) version\0 id(4 LE). */
function threadIdOf(handshake: Buffer): number | null {
  const end = handshake.indexOf(0, 5);
  if (end < 0 || handshake.length < end + 5) return null;
  return handshake.readUInt32LE(end + 1);
}

/** Forwards `from` to `to` while the pair is not frozen, pausing `from` while `to` cannot take more. */
function pipe(pair: Pair, from: Socket, to: Socket, onData?: (d: Buffer) => void): void {
  from.on('data', (d: Buffer) => {
    onData?.(d);
    if (pair.frozen || to.destroyed) return;
    if (!to.write(d)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
}

export async function startFreezeProxy(target: { readonly host: string; readonly port: number }): Promise<FreezeProxy> {
  const pairs: Pair[] = [];
  let next = 1;
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair: Pair = {
      id: next++,
      threadId: null,
      frozen: false,
      clientClosed: false,
      handshake: Buffer.alloc(0),
      client,
      upstream,
    };
    pairs.push(pair);
    pipe(pair, client, upstream);
    pipe(pair, upstream, client, (d) => {
      if (pair.threadId !== null) return;
      pair.handshake = Buffer.concat([pair.handshake, d]);
      pair.threadId = threadIdOf(pair.handshake);
    });
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('close', () => {
      pair.clientClosed = true;
      // A frozen path stays open on the server's side, as it would on a real network: close() ends it.
      if (!pair.frozen) upstream.destroy();
    });
    upstream.on('close', () => {
      if (!pair.frozen) client.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  const freeze = (p: Pair) => {
    p.frozen = true;
    // From now on both sides are read and what arrives is dropped (so that a close is still seen).
    p.client.resume();
    p.upstream.resume();
  };
  return {
    host: '127.0.0.1',
    port: address.port,
    connections: () => pairs.map(({ id, threadId, frozen, clientClosed }) => ({ id, threadId, frozen, clientClosed })),
    freezeAll: () => {
      const open = pairs.filter((p) => !p.clientClosed && !p.frozen);
      open.forEach(freeze);
      return open.length;
    },
    freeze: (threadId) => {
      const p = pairs.find((q) => q.threadId === threadId && !q.clientClosed);
      if (p === undefined) return false;
      freeze(p);
      return true;
    },
    close: async () => {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
