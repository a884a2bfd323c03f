// latin1 columns holding bytes 0x80-0x9F, the common case of UTF-8 bytes stored in latin1 (é is C3 A9, the
// snowman E2 98 83), in the key too. The server's latin1 maps 0x81, 0x8D, 0x8F, 0x90 and 0x9D to U+0081 ...,
// where a cp1252 decoder has nothing; the ALTER converts `note` to utf8mb4, so those bytes become U+0081 ...
// `note` is written as text (the load keeps writing after the swap, into utf8mb4), through the server's own
// latin1 table: every byte 0x00-0xFF has its character.
import type { RowModel } from '../../../support/load.js';
import { mix } from '../../models.js';

const C1 = Buffer.from(Array.from({ length: 32 }, (_, i) => 0x80 + i));

// The server's latin1 for 0x80-0x9F (cp1252, with U+0081, U+008D, U+008F, U+0090, U+009D where cp1252 has none).
const HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

/** The characters the server's latin1 gives these bytes. */
function latin1(bytes: Buffer): string {
  return [...bytes].map((b) => (b >= 0x80 && b < 0xa0 ? HIGH[b - 0x80] : String.fromCharCode(b))).join('');
}

/** `n` bytes of 0x80-0x9F starting at `from`, wrapping. */
function c1(from: number, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => C1[(from + i) % 32] as number));
}

export const model: RowModel = {
  keyColumns: ['code'],
  valueColumns: ['name', 'note', 'tag', 'qty'],
  key: (id) => [Buffer.concat([Buffer.from(`k${id}-`), c1(id, 6), Buffer.from([0x81, 0x8d, 0x8f, 0x90, 0x9d])])],
  values: (id, v) => {
    const h = mix(id, v);
    return [
      Buffer.concat([Buffer.from(`café ${id}.${v} ☃ Jörg`, 'utf8'), C1]),
      h % 7 === 0 ? null : latin1(Buffer.concat([Buffer.from('Jörg ☃ ', 'utf8'), c1(h, 1 + (h % 40)), Buffer.from(Array.from({ length: 256 }, (_, i) => (i + h) % 256))])),
      h % 5 === 0 ? null : c1(h >>> 3, 8),
      (h % 2001) - 1000,
    ];
  },
};
