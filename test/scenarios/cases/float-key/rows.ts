// A FLOAT key. SELECT prints a FLOAT with 6 significant digits (1999994 reads back as 1999990), so a chunk bound
// read that way is not the row's value: `f <= 1999990` leaves out the largest row. Keys here are integers below
// 2^24, exact in a float, so the load's own `WHERE f = ?` finds its rows; they fall as ids grow, so the rows the
// load inserts land below the seed's largest key, whose row only the copy brings over (case.json's load seed
// never touches it).
import type { RowModel } from '../../../support/load.js';
import { ordersModel } from '../../models.js';

const base = ordersModel();

export const model: RowModel = {
  keyColumns: ['f'],
  valueColumns: base.valueColumns,
  key: (id) => [2_000_001 - 7 * id],
  values: base.values,
};
