// The randomized migration: from one seed, a table, an ALTER drawn from a list, and a random concurrent write load
// (several writers, transactions of one to several statements, rollbacks, key changes, NULLs, multi-byte text).
// The same seed gives the same case (the writers' interleaving is the server's; the check does not depend on it).
import { mix } from '../scenarios/models.js';
import { prng, type LoadOptions, type RowModel } from './load.js';

export interface RandomCase {
  readonly seed: number;
  readonly create: string;
  readonly alter: string;
  readonly model: RowModel;
  readonly rows: number;
  /** The cut-over waits this long after osc starts (replay alone meanwhile); null: no wait. */
  readonly postponeCutOverMs: number | null;
  readonly args: readonly string[];
  readonly load: Partial<
    Pick<
      LoadOptions,
      'writers' | 'rate' | 'maxTransactionWrites' | 'rollbackRatio' | 'weights' | 'omitColumns' | 'seed'
    >
  >;
}

export const RANDOM_CREATE = `CREATE TABLE t (
  id INT NOT NULL PRIMARY KEY,
  u VARCHAR(40) NULL,
  s VARCHAR(60) NOT NULL,
  n INT NULL,
  d DECIMAL(12,3) NULL,
  b VARBINARY(16) NULL,
  txt TEXT NULL,
  at DATETIME(6) NOT NULL,
  UNIQUE KEY uk_u (u)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

interface AlterChoice {
  readonly alter: string;
  /** Columns the load must stop writing (gone after the ALTER). */
  readonly omit?: readonly string[];
}

/** ALTERs a native ALTER and osc must agree on for any data the model writes. */
export const RANDOM_ALTERS: readonly AlterChoice[] = [
  { alter: 'ADD COLUMN extra INT NULL DEFAULT 7' },
  { alter: "ADD COLUMN flag VARCHAR(8) NOT NULL DEFAULT 'né', ADD INDEX ix_n (n)" },
  { alter: 'MODIFY n BIGINT NULL' },
  { alter: 'MODIFY s VARCHAR(200) NOT NULL, ADD INDEX ix_s (s)' },
  { alter: 'DROP COLUMN txt', omit: ['txt'] },
  { alter: 'DROP INDEX uk_u, ADD UNIQUE KEY uk_u2 (u, id)' },
  { alter: 'MODIFY d DECIMAL(16,4) NULL, MODIFY b VARBINARY(32) NULL' },
  { alter: 'ADD COLUMN g INT AS (n + 1) STORED' },
  { alter: 'CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' },
];

// Multi-byte text: 1 to 4 bytes per character, and characters collations treat specially.
const ALPHABET = [...'aZ09 é ñ ß ø Ä 中文字 日本 한국 € ✓ 😀 🚀 𝄞 ﬁ İ ı ǅ'];

function text(h: number, maxChars: number): string {
  const r = prng(h);
  const len = Math.floor(r() * (maxChars + 1));
  let out = '';
  for (let i = 0; i < len; i++) out += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return out;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function model(): RowModel {
  return {
    keyColumns: ['id'],
    valueColumns: ['u', 's', 'n', 'd', 'b', 'txt', 'at'],
    key: (id) => [id],
    values: (id, v) => {
      const h = mix(id, v);
      const at = new Date(Date.UTC(2000, 0, 1) + (h % 700_000_000) * 1000);
      return [
        // Unique across every row ever written (id and version), or NULL.
        h % 4 === 0 ? null : `u${id}.${v}:${text(h, 3)}`,
        text(h ^ 0x55, 20),
        h % 5 === 0 ? null : (h % 200_001) - 100_000,
        h % 6 === 0 ? null : `${(h % 1_000_000) - 500_000}.${pad(h % 1000, 3)}`,
        h % 7 === 0 ? null : Buffer.from([h & 0xff, (h >>> 8) & 0xff, 0, (h >>> 16) & 0xff]),
        h % 3 === 0 ? null : text(h ^ 0xabc, 80),
        `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}.${pad(h % 1_000_000, 6)}`,
      ];
    },
  };
}

export function randomCase(seed: number): RandomCase {
  const r = prng(seed * 2654435761);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const choice = pick(RANDOM_ALTERS);
  const chunk = pick([null, '50', '200', '1000']);
  const threads = pick(['1', '2']);
  return {
    seed,
    create: RANDOM_CREATE,
    alter: choice.alter,
    model: model(),
    rows: 2_000 + Math.floor(r() * 10_000),
    postponeCutOverMs: pick([null, 1_000, 2_500]),
    args: [...(chunk === null ? [] : ['--chunk-size', chunk]), '--threads', threads],
    load: {
      seed,
      writers: 2 + Math.floor(r() * 5),
      rate: 150 + Math.floor(r() * 500),
      maxTransactionWrites: 1 + Math.floor(r() * 6),
      rollbackRatio: r() * 0.3,
      weights: {
        insert: 1 + Math.floor(r() * 4),
        'update-key': Math.floor(r() * 4),
        update: 1 + Math.floor(r() * 4),
        delete: Math.floor(r() * 4),
      },
      ...(choice.omit === undefined ? {} : { omitColumns: choice.omit }),
    },
  };
}

/** What a failing seed prints: the case, and the commands that run it again alone. */
export function describeCase(c: RandomCase): string {
  return (
    `random seed ${c.seed}: ALTER ${c.alter}; ${c.rows} rows; osc ${c.args.join(' ')}; cut-over postponed ` +
    `${c.postponeCutOverMs ?? 0} ms; load ${JSON.stringify(c.load)}\n` +
    `  rerun: OSC_RANDOM_SEEDS=${c.seed} npx vitest run test/integration/random-dml.test.ts` +
    `   (or: npm run soak -- --from ${c.seed} --seeds 1)`
  );
}
