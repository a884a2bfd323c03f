// Waiting for a replica to apply everything its primary has written so far, by GTID (both sandboxes use GTIDs:
// always on in MariaDB, gtid-mode=ON in MySQL).
import type { Connection, RowDataPacket } from 'mysql2/promise';

/**
 * Resolves once the replica has applied every transaction the primary had committed when this was called, and
 * returns the seconds it took; throws after timeoutSeconds. Users and grants replicate like data, so after this a
 * user made on the primary can log in on the replica.
 */
export async function waitForReplica(primary: Connection, replica: Connection, timeoutSeconds = 120): Promise<number> {
  const started = Date.now();
  const [version] = await primary.query<RowDataPacket[]>('SELECT VERSION() AS v');
  const mariadb = String(version[0]?.['v'] ?? '').includes('MariaDB');
  // MariaDB: the primary's binlog GTID position, waited for with MASTER_GTID_WAIT (0 = reached, -1 = timed out).
  // MySQL: gtid_executed, waited for with WAIT_FOR_EXECUTED_GTID_SET (0 = reached, 1 = timed out).
  // Verified on MariaDB 10.11 and MySQL 9.7.
  const [pos] = await primary.query<RowDataPacket[]>(mariadb ? 'SELECT @@GLOBAL.gtid_binlog_pos AS g' : 'SELECT @@GLOBAL.gtid_executed AS g');
  const gtids = String(pos[0]?.['g'] ?? '');
  const wait = mariadb ? 'SELECT MASTER_GTID_WAIT(?, ?) AS r' : 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS r';
  const [res] = await replica.query<RowDataPacket[]>(wait, [gtids, timeoutSeconds]);
  const r = Number(res[0]?.['r']);
  if (r !== 0) throw new Error(`the replica did not apply the primary's transactions (${gtids}) within ${timeoutSeconds} s`);
  return (Date.now() - started) / 1000;
}
