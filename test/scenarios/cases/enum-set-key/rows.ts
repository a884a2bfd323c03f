// ENUM and SET in the chunk key (hole 2): members declared out of alphabetical order, so the index order
// (member number, bit set) and a string comparison disagree; small chunks put bounds inside every kind and flag
// set, and a key move can change both.
import type { RowModel } from '../../../support/load.js';
import { ordersModel } from '../../models.js';

const base = ordersModel();
const KINDS = ['zeta', 'alpha', 'mid'] as const;
// Normalized as the server shows them (declared order).
const FLAGS = ['', 'x', 'b', 'x,b', 'a', 'x,a', 'b,a', 'x,b,a'] as const;

export const model: RowModel = {
  keyColumns: ['kind', 'flags', 'seq'],
  valueColumns: base.valueColumns,
  key: (id) => [KINDS[id % 3], FLAGS[Math.floor(id / 3) % FLAGS.length], id],
  values: base.values,
};
