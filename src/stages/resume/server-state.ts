// What a checkpoint records of the server, and what --resume checks against it: the server's identity, the binlog
// position replay starts at with the GTIDs executed there, and whether the server still has a checkpoint's GTIDs.
import type { BinlogPosition } from '../../core/binlog/events.js';
import { mariadbGtidsMissing, normalizeGtidText } from '../../core/binlog/gtid.js';
import { gtidMissingMessage, type Checkpoint, type ServerIdentity } from '../../core/checkpoint.js';
import { gtidNotExecuted, MARIADB_GTID_BINLOG_POS, serverIdentitySql } from '../../core/sql/checkpoint.js';
import { binlogStatusSql } from '../../core/sql/server.js';
import type { Flavor, ServerInfo } from '../../core/types.js';
import type { Db } from '../../io/db/pool.js';

export async function readServerIdentity(db: Db, flavor: Flavor): Promise<ServerIdentity> {
  const [row] = await db.rows<{ id: string | number; uuid: string | null }>(serverIdentitySql(flavor));
  return { serverId: Number(row?.id ?? 0), uuid: row?.uuid == null ? null : String(row.uuid) };
}

/** Where a fresh run's replay starts: the server's binlog position now, and the GTIDs executed up to it. */
export interface ReplayStart {
  readonly position: BinlogPosition;
  readonly gtid: string | null;
}

/** Null when the server reports no binlog position (log_bin off). */
export async function readReplayStart(db: Db, s: ServerInfo): Promise<ReplayStart | null> {
  // MariaDB: the GTID position read first, so that every GTID in it lies before the binlog position read next (a
  // commit in between only makes it older: still GTIDs the server must have). BINLOG_GTID_POS(file, offset) would be
  // exact but reads the binlog file up to the offset, up to max_binlog_size.
  const mariadbGtid =
    s.flavor === 'mariadb' ? (await db.rows<{ pos: string | null }>(MARIADB_GTID_BINLOG_POS))[0]?.pos : null;
  const [row] = await db.rows<{ File: string; Position: string | number; Executed_Gtid_Set?: string | null }>(
    binlogStatusSql(s),
  );
  if (!row) return null;
  const position = { file: String(row.File), position: Number(row.Position) };
  // MySQL: the set in the same row as the position (one snapshot).
  return { position, gtid: normalizeGtidText(s.flavor === 'mysql' ? row.Executed_Gtid_Set : mariadbGtid) };
}

/**
 * Null when the server has executed every GTID of the checkpoint; else why resuming here cannot work. A GTID text
 * that cannot be read is refused too: a checkpoint whose GTIDs cannot be checked is not resumed.
 */
export async function gtidProblem(
  db: Db,
  flavor: Flavor,
  c: Pick<Checkpoint, 'binlog'> & { readonly gtid: string },
): Promise<string | null> {
  const unreadable = `the checkpoint's GTIDs ${JSON.stringify(c.gtid)} cannot be read (edited by hand?); start over with --initially-drop-ghost-table`;
  if (flavor === 'mysql') {
    const st = gtidNotExecuted(c.gtid);
    let missing: string | null;
    try {
      const [row] = await db.rows<{ missing: string | null }>(st.sql, st.params);
      missing = normalizeGtidText(row?.missing);
    } catch (err) {
      // 1772 ER_MALFORMED_GTID_SET_SPECIFICATION
      if ((err as { errno?: unknown }).errno === 1772) return unreadable;
      throw err;
    }
    return missing === null ? null : gtidMissingMessage(c, `GTID ${missing} (it is not in @@gtid_executed)`);
  }
  const [row] = await db.rows<{ pos: string | null }>(MARIADB_GTID_BINLOG_POS);
  const missing = mariadbGtidsMissing(c.gtid, String(row?.pos ?? ''));
  if (missing === null) return unreadable;
  return missing.length === 0 ? null : gtidMissingMessage(c, `GTID ${missing.join(', ')}`);
}
