// Every kind of column default (hole 1): CURRENT_TIMESTAMP with and without precision, ON UPDATE, expression
// defaults (UUID(), NOW() + INTERVAL, arithmetic) and literals. Rows hold old values and NULLs, never the time of
// the run, so a column the copy or the replay leaves to its default shows up as a difference. The load writes
// every column explicitly (the ON UPDATE ones in key moves too): what the server would stamp live, an offline
// replay could not reproduce.
import type { RowModel } from '../../../support/load.js';
import { datetime6, decimal, mix } from '../../models.js';

export const model: RowModel = {
  keyColumns: ['id'],
  valueColumns: ['name', 'created_at', 'created6', 'updated_at', 'touched6', 'uid', 'due', 'price', 'qty', 'label'],
  onUpdateColumns: ['updated_at', 'touched6'],
  key: (id) => [id],
  values: (id, v) => {
    const h = mix(id, v);
    const nul = h % 7 === 0;
    const dt = datetime6(h);
    return [
      `n-${id}-${v}`,
      dt.slice(0, 19),
      nul ? null : datetime6(h >>> 1),
      nul ? null : datetime6(h >>> 2).slice(0, 19),
      datetime6(h >>> 3),
      nul ? null : `00000000-0000-4000-8000-${h.toString(16).padStart(12, '0')}`,
      nul ? null : datetime6(h >>> 4).slice(0, 19),
      nul ? null : decimal(h % 100_000),
      (h % 2001) - 1000,
      nul ? null : `label ${h % 97}`,
    ];
  },
};
