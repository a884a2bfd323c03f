// The primary key is extended by a column (as before partitioning): the copy ranges over the original's (id),
// ghost rows are matched by the new (id, qty). Updates change qty alone, so each one moves a row's new key.
import type { RowModel } from '../../../support/load.js';
import { datetime6, decimal, mix } from '../../models.js';

export const model: RowModel = {
  keyColumns: ['id'],
  valueColumns: ['name', 'qty', 'price', 'note', 'updated_at'],
  key: (id) => [id],
  values: (id, v) => {
    const h = mix(id, 0);
    return [`n-${id}-café`, (mix(id, v) % 2001) - 1000, decimal(h % 1_000_000), h % 5 === 0 ? null : `note ${h.toString(36)}`, datetime6(h)];
  },
};
