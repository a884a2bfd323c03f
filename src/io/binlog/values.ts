// Normalizes values decoded by @vlasky/zongji 0.9 into the shapes mysql2 writes back exactly (bound as `?` with
// supportBigNumbers/bigNumberStrings/dateStrings, timezone '+00:00'). Pure: no imports from zongji or mysql2.
//
// Shapes zongji already gets right, checked against SELECT on MariaDB 10.11 and MySQL 9.7 by
// test/integration/streamer.test.ts: integers (exact strings beyond 2^53), DECIMAL (strings), DOUBLE, DATE,
// DATETIME(6)/TIMESTAMP(6) (strings with all fractional digits under dateStrings), BINARY/VARBINARY/BLOB/BIT
// (Buffers), SET (comma-joined string), JSON (text under
// jsonStrings), and FLOAT as the exact float32 widened to a double (3.140000104904175 where SELECT shows 3.14).
// FLOAT stays that way on purpose: it writes back to the same float32, while a shorter decimal can round past
// FLT_MAX (3.4028235e38) and be refused as out of range. CHAR/VARCHAR/TEXT and spatial values of the migrated
// table arrive as the binlog's bytes (exact.ts): zongji's own decoding of them is not exact.
// The cases below are the ones zongji gets wrong.

/** MySQL wire type codes (include/field_types.h) of the columns that need a fix. */
export const TYPE = {
  TIME: 11,
  YEAR: 13,
  TIME2: 19,
  ENUM: 247,
} as const;

/** Normalizes one decoded value of a column with wire type `type`. */
export function normalizeValue(type: number, value: unknown): unknown {
  if (value === null || value === undefined) {
    // ENUM's index 0 (the '' a non-strict server stores for an invalid member) decodes as undefined.
    if (type === TYPE.ENUM && value === undefined) return '';
    return value ?? null;
  }
  // Row images are slices of the packet buffer: copy, so a queued event does not pin a whole network chunk.
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  switch (type) {
    case TYPE.YEAR:
      // zongji adds 1900 to the stored byte, so YEAR 0000 (stored 0) arrives as 1900, which is out of YEAR's range.
      return value === 1900 ? 0 : value;
    case TYPE.TIME:
    case TYPE.TIME2:
      return typeof value === 'string' ? repairTime(value) : value;
    default:
      return value;
  }
}

const TIME_RE = /^(-?)(\d+):(\d+):(\d+)(\.\d+)?$/;

/**
 * A negative whole-second TIME2 value (e.g. '-01:00:00') decodes with a borrow across its packed fields
 * ('-00:63:64'): zongji subtracts one from the packed hour<<12|minute<<6|second integer and adds the second back
 * to the seconds field alone. Re-adding in the packed integer undoes that; it is the identity on valid values.
 */
export function repairTime(text: string): string {
  const m = TIME_RE.exec(text);
  if (!m) return text;
  const [, sign = '', h = '0', mi = '0', s = '0', frac = ''] = m;
  const minutes = Number(mi);
  const seconds = Number(s);
  if (minutes < 60 && seconds < 60) return text;
  const packed = Number(h) * 4096 + minutes * 64 + seconds;
  const hour = Math.floor(packed / 4096);
  const minute = Math.floor(packed / 64) % 64;
  const second = packed % 64;
  return `${sign}${String(hour).padStart(2, '0')}:${pad2(minute)}:${pad2(second)}${frac}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
