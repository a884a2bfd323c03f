// A BIT key. The server and the binlog hand BIT values over as bytes; MariaDB 10.11 compares a BIT column with a
// byte string wrongly (a range matched no row, an equality missed its row), so keys must compare as integers.
import type { RowModel } from '../../../support/load.js';
import { ordersModel } from '../../models.js';

const base = ordersModel();

export const model: RowModel = {
  keyColumns: ['b'],
  valueColumns: base.valueColumns,
  // Spread over all three bytes, so values differ in every byte position.
  key: (id) => [(id * 1021) % 16_777_216],
  values: base.values,
};
