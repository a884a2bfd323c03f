// latin1 columns holding every byte 0x80-0x9F (hole 4), written as raw bytes: the server's latin1 maps 0x81,
// 0x8D, 0x8F, 0x90 and 0x9D to U+0081..U+009D where cp1252 has no character, and UTF-8 text stored in latin1
// columns (a common legacy) is full of such bytes. Rows changed during the run reach the ghost through replay.
import type { RowModel } from '../../../support/load.js';
import { mix } from '../../models.js';

const C1 = Buffer.from(Array.from({ length: 32 }, (_, i) => 0x80 + i));
const UTF8_IN_LATIN1 = Buffer.from('é€😀 ŒŽ “quotes” – dash', 'utf8');

export const model: RowModel = {
  keyColumns: ['id'],
  valueColumns: ['name', 'txt', 'body', 'qty'],
  key: (id) => [id],
  values: (id, v) => {
    const h = mix(id, v);
    const rot = h % 32;
    const c1 = Buffer.concat([C1.subarray(rot), C1.subarray(0, rot)]);
    return [
      Buffer.concat([Buffer.from(`n-${id}-${v}-`), c1.subarray(0, 8)]),
      h % 9 === 0 ? null : Buffer.concat([c1, Buffer.from(' '), UTF8_IN_LATIN1]),
      h % 5 === 0 ? null : Buffer.concat([UTF8_IN_LATIN1, c1, Buffer.from(` ${h.toString(36)}`)]),
      (h % 2001) - 1000,
    ];
  },
};
