// No primary key: the only usable key is a unique VARCHAR (uk_maybe is nullable, so not usable).
// String keys sort differently from the ids that generate them.
import type { RowModel } from '../../../support/load.js';
import { ordersModel } from '../../models.js';

const base = ordersModel();

export const model: RowModel = {
  keyColumns: ['code'],
  valueColumns: [...base.valueColumns],
  key: (id) => [`c-${(id * 2654435761) % 4294967296}-${id}`],
  values: base.values,
};
