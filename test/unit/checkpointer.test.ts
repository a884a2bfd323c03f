import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/core/checkpoint.js';
import type { Logger } from '../../src/core/log.js';
import type { Db } from '../../src/io/db/pool.js';
import { Checkpointer } from '../../src/stages/resume/checkpointer.js';

const checkpoint = (n: number): Checkpoint => ({
  oscVersion: '0.1.0',
  alter: 'ADD COLUMN c INT',
  key: 'PRIMARY',
  original: 'a',
  ghost: 'b',
  phase: 'copy',
  copy: null,
  binlog: { file: 'binlog.000001', position: n },
  gtid: null,
  server: { serverId: 1, uuid: null },
  writtenAt: 0,
});

function fakeDb(fail: () => boolean): { db: Db; written: number[]; running: () => number; maxRunning: () => number } {
  const written: number[] = [];
  let running = 0;
  let maxRunning = 0;
  const db: Db = {
    rows: () => Promise.resolve([]),
    run: async (_sql, params = []) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (fail()) throw Object.assign(new Error('lost'), { errno: 2013 });
      written.push((JSON.parse(String(params[1])) as { binlog: { position: number } }).binlog.position);
      return { affectedRows: 1, warningStatus: 0 } as never;
    },
  };
  return { db, written, running: () => running, maxRunning: () => maxRunning };
}

function logger(lines: string[]): Logger {
  const log = (event: string) => void lines.push(event);
  return { debug: log, info: log, warn: log, error: log };
}

describe('Checkpointer', () => {
  it('writes the current checkpoint, one write at a time, and nothing after stop', async () => {
    let n = 0;
    const f = fakeDb(() => false);
    const c = new Checkpointer(f.db, { database: 'db', checkpoint: '_t_ghk' }, () => checkpoint(++n), logger([]));
    await Promise.all([c.write(), c.write(), c.write()]);
    expect(f.written).toEqual([1, 2, 3]);
    expect(f.maxRunning()).toBe(1);
    await c.stop();
    await c.write();
    expect(f.written).toEqual([1, 2, 3]);
  });

  it('writes every interval once started', async () => {
    let n = 0;
    const f = fakeDb(() => false);
    const c = new Checkpointer(f.db, { database: 'db', checkpoint: '_t_ghk' }, () => checkpoint(++n), logger([]), 20);
    c.start();
    await new Promise((r) => setTimeout(r, 110));
    await c.stop();
    expect(f.written.length).toBeGreaterThanOrEqual(3);
  });

  it('logs a failing write once per outage and never throws', async () => {
    let failing = true;
    const lines: string[] = [];
    const f = fakeDb(() => failing);
    const c = new Checkpointer(f.db, { database: 'db', checkpoint: '_t_ghk' }, () => checkpoint(1), logger(lines));
    await c.write();
    await c.write();
    failing = false;
    await c.write();
    expect(lines).toEqual(['checkpoint_failed', 'checkpoint_restored']);
    await c.stop();
  });
});
