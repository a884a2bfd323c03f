// Waiting for a replica to apply everything its primary has written so far, by GTID (both sandboxes use GTIDs:
// always on in MariaDB, gtid-mode=ON in MySQL).
import type { Connection, RowDataPacket } from 'mysql2/promise';

export interface WaitForReplicaOptions {
  /** Give up after this long (default 600 s). */
  readonly timeoutSeconds?: number;
  /** Called about every 5 s while the replica is behind, with the seconds waited and its own lag estimate. */
  readonly onWait?: (waitedSeconds: number, secondsBehind: number | null) => void;
}

const STEP_SECONDS = 5;

async function isMariaDb(conn: Connection): Promise<boolean> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT VERSION() AS v');
  return String(rows[0]?.['v'] ?? '').includes('MariaDB');
}

/** Seconds_Behind_Master (MariaDB) / Seconds_Behind_Source (MySQL 8.0.22+), null when unknown. */
async function secondsBehind(replica: Connection, mariadb: boolean): Promise<number | null> {
  const [rows] = await replica.query<RowDataPacket[]>(mariadb ? 'SHOW SLAVE STATUS' : 'SHOW REPLICA STATUS');
  const v: unknown = rows[0]?.[mariadb ? 'Seconds_Behind_Master' : 'Seconds_Behind_Source'];
  return v === null || v === undefined ? null : Number(v);
}

/**
 * Resolves once the replica has applied every transaction the primary had committed when this was called, and
 * returns the seconds it took; throws after the timeout. Users and grants replicate like data, so after this a
 * user made on the primary can log in on the replica.
 */
export async function waitForReplica(
  primary: Connection,
  replica: Connection,
  opts: WaitForReplicaOptions = {},
): Promise<number> {
  const timeout = opts.timeoutSeconds ?? 600;
  const started = Date.now();
  const mariadb = await isMariaDb(primary);
  // MariaDB: the primary's binlog GTID position, waited for with MASTER_GTID_WAIT (0 = reached, -1 = timed out).
  // MySQL: gtid_executed, waited for with WAIT_FOR_EXECUTED_GTID_SET (0 = reached, 1 = timed out).
  // Verified on MariaDB 10.11 and MySQL 9.7.
  const [pos] = await primary.query<RowDataPacket[]>(
    mariadb ? 'SELECT @@GLOBAL.gtid_binlog_pos AS g' : 'SELECT @@GLOBAL.gtid_executed AS g',
  );
  const gtids = String(pos[0]?.['g'] ?? '');
  const wait = mariadb ? 'SELECT MASTER_GTID_WAIT(?, ?) AS r' : 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS r';
  for (;;) {
    const waited = (Date.now() - started) / 1000;
    const step = Math.max(1, Math.min(STEP_SECONDS, Math.ceil(timeout - waited)));
    const [res] = await replica.query<RowDataPacket[]>(wait, [gtids, step]);
    if (Number(res[0]?.['r']) === 0) return (Date.now() - started) / 1000;
    const now = (Date.now() - started) / 1000;
    if (now >= timeout)
      throw new Error(`the replica did not apply the primary's transactions (${gtids}) within ${timeout} s`);
    opts.onWait?.(now, await secondsBehind(replica, mariadb));
  }
}
