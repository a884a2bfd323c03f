// Every geometry type, in the server's internal format (4-byte SRID, then little-endian WKB), with SRIDs 0, 3857
// and 4326 and NULLs; `p` carries a spatial index. Coordinates stay within 0..60, valid as latitude or longitude.
import type { RowModel } from '../../../support/load.js';
import { mix } from '../../models.js';

type Xy = readonly [number, number];

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function xy([x, y]: Xy): Buffer {
  const b = Buffer.alloc(16);
  b.writeDoubleLE(x);
  b.writeDoubleLE(y, 8);
  return b;
}

const wkb = (type: number, ...body: Buffer[]) => Buffer.concat([Buffer.from([1]), u32(type), ...body]);
const points = (ps: readonly Xy[]) => Buffer.concat([u32(ps.length), ...ps.map(xy)]);
const point = (p: Xy) => wkb(1, xy(p));
const line = (ps: readonly Xy[]) => wkb(2, points(ps));
const polygon = (rings: readonly (readonly Xy[])[]) => wkb(3, u32(rings.length), ...rings.map(points));
const multi = (type: number, parts: readonly Buffer[]) => wkb(type, u32(parts.length), ...parts);
const stored = (srid: number, geometry: Buffer) => Buffer.concat([u32(srid), geometry]);

/** A closed triangle ring starting at (x, y). */
const ring = (x: number, y: number, d: number): Xy[] => [[x, y], [x + d, y], [x + d, y + d], [x, y]];

export const model: RowModel = {
  keyColumns: ['id'],
  valueColumns: ['g', 'p', 'l', 'pg', 'mp', 'ml', 'mpg', 'gc', 'qty'],
  key: (id) => [id],
  values: (id, v) => {
    const h = mix(id, v);
    const srid = [0, 3857, 4326][h % 3] as number;
    const x = (h % 5000) / 100;
    const y = ((h >>> 13) % 5000) / 100 + 1e-9;
    const nul = h % 9 === 0;
    const geo = (g: Buffer) => (nul ? null : stored(srid, g));
    return [
      geo(polygon([ring(x, y, 5), ring(x + 1, y + 1, 1)])),
      stored(srid, point([y, x])),
      geo(line([[x, y], [y, x], [x / 2, y / 3]])),
      geo(polygon([ring(y, x, 2)])),
      geo(multi(4, [point([x, y]), point([y, x])])),
      geo(multi(5, [line([[0, 0], [x, y]]), line([[1, 1], [y, x]])])),
      geo(multi(6, [polygon([ring(x, y, 1)]), polygon([ring(y, x, 3)])])),
      geo(multi(7, [point([x, x]), line([[0, 0], [y, y]]), polygon([ring(x, y, 4)])])),
      (h % 2001) - 1000,
    ];
  },
};
