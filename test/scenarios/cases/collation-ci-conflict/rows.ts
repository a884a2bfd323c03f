// A binary-collated key made case- and accent-insensitive (hole 3) while pairs of rows differ only in case
// or accent: 'k-1'/'K-1', 'e-2'/'é-2', ... A native ALTER fails with a duplicate key; osc must fail the same way
// (DATA_CONFLICT) and lose nothing. Every id pair collides, so the load cannot remove every collision.
import type { RowModel } from '../../../support/load.js';
import { ordersModel } from '../../models.js';

const base = ordersModel();

export const model: RowModel = {
  keyColumns: ['code'],
  valueColumns: base.valueColumns,
  key: (id) => {
    const pair = Math.ceil(id / 2);
    const first = id % 2 === 1;
    return [pair % 2 === 0 ? `${first ? 'k' : 'K'}-${pair}` : `${first ? 'e' : 'é'}-${pair}`];
  },
  values: base.values,
};
