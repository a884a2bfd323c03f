// Row models shared by the scenario cases: deterministic values from (id, version), no clock, no RAND().
import type { RowModel } from '../support/load.js';

/** A cheap deterministic hash of two integers, for values that look random but replay exactly. */
export function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x165667b1, 0xc2b2ae35);
  h ^= h >>> 13;
  h = Math.imul(h, 0x27d4eb2f);
  h ^= h >>> 16;
  return h >>> 0;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** 'YYYY-MM-DD HH:MM:SS.ffffff' from a number, inside TIMESTAMP's range. */
export function datetime6(n: number): string {
  const d = new Date(Date.UTC(2001, 0, 1) + (n % 600_000_000) * 1000);
  const micros = n % 1_000_000;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(micros, 6)}`;
}

export function decimal(n: number, scale = 2): string {
  const s = String(n % 10_000_000).padStart(scale + 1, '0');
  return `${s.slice(0, -scale)}.${s.slice(-scale)}`;
}

/**
 * The common table:
 *   id INT NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, qty INT NOT NULL, price DECIMAL(10,2) NOT NULL,
 *   note VARCHAR(255) NULL, updated_at DATETIME(6) NOT NULL
 * `name` is unique across rows ever written (id and version), so a UNIQUE index over it holds.
 */
export function ordersModel(keyColumn = 'id'): RowModel {
  return {
    keyColumns: [keyColumn],
    valueColumns: ['name', 'qty', 'price', 'note', 'updated_at'],
    key: (id) => [id],
    values: (id, v) => {
      const h = mix(id, v);
      return [
        `n-${id}-${v}-café`,
        (h % 2001) - 1000,
        decimal(h % 1_000_000),
        h % 5 === 0 ? null : `note ${h.toString(36)}`,
        datetime6(h),
      ];
    },
  };
}

/** The table ordersModel() fills, the ALTER the fault and operator tests run on it, and its original columns. */
export const ORDERS_CREATE = `CREATE TABLE t (
  id INT NOT NULL PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  qty INT NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  note VARCHAR(255) NULL,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
export const ORDERS_ALTER = "ADD COLUMN shipping_status VARCHAR(50) NOT NULL DEFAULT 'pending'";
export const ORDERS_COLUMNS: readonly string[] = ['id', 'name', 'qty', 'price', 'note', 'updated_at'];
