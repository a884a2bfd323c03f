// Real duplicates for the UNIQUE key the ALTER adds, already in the table: the seed gives each pair of rows the
// same name (the load's writes stay unique). The copy meets them: DATA_CONFLICT before any swap, original untouched.
import type { RowModel } from '../../../support/load.js';
import { ordersModel } from '../../models.js';

const base = ordersModel();

export const model: RowModel = {
  ...base,
  values: (id, v) => {
    const values = base.values(id, v);
    return v === 0 ? [`pair-${Math.ceil(id / 2)}`, ...values.slice(1)] : values;
  },
};
