// The benchmark's write load, in a process of its own so that it competes with the tool under test as an
// application would: inserts, updates and deletes on bench's orders table at a set rate, each write's latency
// recorded. Started by scripts/bench.ts with one JSON argument; prints `ready` when it starts writing, writes
// until SIGTERM, then saves every
// committed write (to replay onto the expected table) and the latencies to the `out` file and exits.
//
// Writers own disjoint ids (id mod writers), so the final state does not depend on how their commits interleave.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { exactConnection, prng, qualified, type Endpoint } from '../test/support/load.js';

export interface LoadArgs {
  readonly endpoint: Endpoint;
  readonly database: string;
  readonly table: string;
  /** Writes per second, all writers together. */
  readonly rate: number;
  readonly writers: number;
  readonly out: string;
}

/** One committed write, replayable: statement text with `?` and its parameters. */
export interface BenchWrite {
  readonly sql: string;
  readonly params: readonly (string | number)[];
}

export interface LoadOutput {
  readonly writes: readonly BenchWrite[];
  /** Milliseconds from sending a write to its commit (retries included), in commit order. */
  readonly latencies: readonly number[];
  /** When each of those writes was sent (epoch ms), in the same order: what overlapped the cut-over. */
  readonly sentAt: readonly number[];
  /** Writes that failed for good (a table missing for longer than the retries last, ...). */
  readonly failed: number;
  /** How many of them failed with each server error number ('other' without one). */
  readonly failures: Readonly<Record<string, number>>;
  readonly seconds: number;
}

export const TABLE = '{{table}}';

// Errors after which an autocommit statement surely did not commit: it is sent again.
const RETRYABLE = new Set([1205, 1213, 1146, 1412]);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as LoadArgs;
  const table = qualified(args.database, args.table);
  const writes: BenchWrite[] = [];
  const latencies: number[] = [];
  const sentAt: number[] = [];
  let failed = 0;
  const failures: Record<string, number> = {};
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  const started = Date.now();

  // The ids there are now (earlier loaded runs leave gaps and ids above the row count); each writer takes those
  // of its residue, and new ids of the same residue above the largest.
  const reader = await exactConnection(args.endpoint);
  const [idRows] = await reader.query({ sql: `SELECT id FROM ${table} ORDER BY id`, rowsAsArray: true });
  await reader.end();
  const ids = (idRows as unknown as [string][]).map((r) => Number(r[0]));
  const top = ids[ids.length - 1] ?? 0;
  process.stdout.write('ready\n');

  const writer = async (w: number): Promise<void> => {
    const conn = await exactConnection(args.endpoint);
    const rnd = prng(1000 + w);
    const live = ids.filter((id) => id % args.writers === w);
    let nextId = top + 1;
    while (nextId % args.writers !== w) nextId++;
    const perWriter = args.rate / args.writers;
    const t0 = Date.now();
    try {
      for (let n = 0; !stopping; n++) {
        const due = t0 + (n * 1000) / perWriter;
        if (due > Date.now()) await sleep(due - Date.now());
        if (stopping) break;
        const op = rnd();
        let write: BenchWrite;
        let after: () => void;
        if (op < 0.3 || live.length === 0) {
          const id = nextId;
          write = {
            sql: `INSERT INTO ${TABLE} (id, customer_id, amount, note, created_at) VALUES (?, ?, ?, ?, ?)`,
            params: [id, id % 5000, ((id % 100000) / 100).toFixed(2), `load ${id}`, '2026-02-01 00:00:00.000002'],
          };
          after = () => {
            live.push(id);
            nextId += args.writers;
          };
        } else if (op < 0.8) {
          const id = live[Math.floor(rnd() * live.length)]!;
          write = {
            sql: `UPDATE ${TABLE} SET amount = amount + 1, note = ? WHERE id = ?`,
            params: [`updated ${n}`, id],
          };
          after = () => undefined;
        } else {
          const i = Math.floor(rnd() * live.length);
          write = { sql: `DELETE FROM ${TABLE} WHERE id = ?`, params: [live[i]!] };
          after = () => {
            live[i] = live[live.length - 1]!;
            live.pop();
          };
        }
        const sent = performance.now();
        const sentEpoch = Date.now();
        for (let attempt = 1; ; attempt++) {
          try {
            await conn.query(write.sql.replace(TABLE, table), [...write.params]);
            latencies.push(performance.now() - sent);
            sentAt.push(sentEpoch);
            writes.push(write);
            after();
            break;
          } catch (err) {
            const errno = (err as { errno?: number }).errno;
            if (errno === undefined || !RETRYABLE.has(errno) || attempt >= 20) {
              failed++;
              const code = errno === undefined ? 'other' : String(errno);
              failures[code] = (failures[code] ?? 0) + 1;
              break;
            }
            await sleep(5);
          }
        }
      }
    } finally {
      await conn.end().catch(() => undefined);
    }
  };

  await Promise.all(Array.from({ length: args.writers }, (_, w) => writer(w)));
  const output: LoadOutput = { writes, latencies, sentAt, failed, failures, seconds: (Date.now() - started) / 1000 };
  writeFileSync(args.out, JSON.stringify(output));
}

// Only as a process of its own: bench.ts imports the types and the table token from here.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench-load: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
