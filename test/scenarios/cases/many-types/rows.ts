// Many column types at their limits; the key is BIGINT UNSIGNED at the top of its range (far beyond 2^53),
// so a key rounded through a JS number would select the wrong rows.
import type { RowModel } from '../../../support/load.js';
import { datetime6, decimal, mix } from '../../models.js';

const U64_MAX = 18446744073709551615n;

const pick = <T>(h: number, xs: readonly T[]): T => xs[h % xs.length] as T;

export const model: RowModel = {
  keyColumns: ['id'],
  valueColumns: ['ti', 'tu', 'su', 'mi', 'iu', 'bi', 'bu', 'dec', 'dbl', 'fl', 'dt', 'ts', 'd', 'tm', 'yr', 'js', 'en', 'st', 'bt', 'bl', 'vb', 'ch', 'tx'],
  // id 1 is the largest BIGINT UNSIGNED; ids step down by 3 so neighbours differ in the low bits.
  key: (id) => [(U64_MAX + 3n - 3n * BigInt(id)).toString()],
  values: (id, v) => {
    const h = mix(id, v);
    const nul = h % 11 === 0; // some rows carry NULL in every nullable column
    const big = (BigInt(h) * 1000000007n + BigInt(id)).toString(); // beyond 2^53, inside BIGINT
    const dt = datetime6(h);
    return [
      pick(h, [-128, 127, 0, -1, h % 128]),
      pick(h >>> 3, [0, 255, 128, h % 256]),
      pick(h >>> 5, [0, 65535, h % 65536]),
      pick(h >>> 7, [-8388608, 8388607, (h % 16_000_000) - 8_000_000]),
      pick(h >>> 2, [0, 4294967295, h]),
      pick(h >>> 4, ['-9223372036854775808', '9223372036854775807', `-${big}`]),
      nul ? null : pick(h >>> 6, ['18446744073709551615', '9007199254740993', big]),
      nul ? null : pick(h >>> 8, ['-99999999999999999999.9999999999', '0.0000000001', `${decimal(h, 4)}123456`]),
      nul ? null : pick(h >>> 9, [1.5, -2.25e100, h / 7, 0]),
      nul ? null : pick(h >>> 10, [1.5, -0.25, 1024, 0]),
      nul ? null : pick(h >>> 11, ['1000-01-01 00:00:00.000000', '9999-12-31 23:59:59.999999', dt]),
      nul ? null : pick(h >>> 12, ['1970-01-01 00:00:01.000000', '2038-01-19 03:14:07.999999', dt]),
      nul ? null : pick(h >>> 13, ['1000-01-01', '9999-12-31', dt.slice(0, 10)]),
      nul ? null : pick(h >>> 14, ['-838:59:59.000', '838:59:59.000', `${h % 24}:${h % 60}:${h % 60}.${h % 1000}`]),
      nul ? null : pick(h >>> 15, [1901, 2155, 2000 + (h % 100)]),
      nul ? null : pick(h >>> 16, [`{"big": 12345678901234567890, "neg": -9223372036854775809, "id": ${id}}`, '[1, 2.5, "x", null, true]', `{"v": ${v}, "s": "caf\\u00e9 \\ud83d\\ude00"}`]),
      nul ? null : pick(h >>> 17, ['small', 'medium', 'large']),
      nul ? null : pick(h >>> 18, ['', 'red', 'red,blue', 'red,green,blue']),
      nul ? null : Buffer.from([(h >>> 8) & 0x03, h & 0xff]),
      nul ? null : Buffer.from([0, 255, h & 0xff, 0x27, 0x5c, 0x22, (h >>> 8) & 0xff]),
      nul ? null : Buffer.from([h & 0xff, 0, 0xff, 0x80]),
      nul ? null : pick(h >>> 19, ['abc', 'é€😀', '']),
      nul ? null : pick(h >>> 20, ['emoji 😀🎉 and ümlaut', `text ${h.toString(36)}`, 'x'.repeat(1000 + (h % 500))]),
    ];
  },
};
