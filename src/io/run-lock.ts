// A named lock held for the whole run on a dedicated connection, so two runs on one table cannot collide.
// GET_LOCK is released by the server when the connection ends, so a crashed run never leaves it behind.
import type { ConnectionConfig } from '../core/config.js';
import { PreflightError } from '../core/errors.js';
import { openSession, type Session } from './pool.js';

export interface RunLock {
  readonly name: string;
  release(): Promise<void>;
}

export async function acquireRunLock(c: ConnectionConfig, name: string, what: string): Promise<RunLock> {
  const session: Session = await openSession(c);
  try {
    const [row] = await session.rows<{ got: number | string | null; holder: number | string | null }>(
      'SELECT GET_LOCK(?, 0) AS got, IS_USED_LOCK(?) AS holder',
      [name, name],
    );
    if (Number(row?.got) !== 1) {
      throw new PreflightError(
        'ALREADY_RUNNING',
        `another osc run is already migrating ${what} (lock '${name}' held by connection ${String(row?.holder ?? '?')}); wait for it to finish or stop it first`,
      );
    }
  } catch (err) {
    await session.close();
    throw err;
  }
  return {
    name,
    release: async () => {
      await session.rows('SELECT RELEASE_LOCK(?) AS r', [name]).catch(() => undefined);
      await session.close();
    },
  };
}
