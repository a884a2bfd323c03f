import { describe, expect, it } from 'vitest';
import { judgeTargets, knownLimit, renderTargets, type TargetRun } from '../../scripts/bench-targets.js';

const run = (tool: string, load: string, seconds: number, extra: Partial<TargetRun> = {}): TargetRun => ({
  tool,
  load,
  size: 2_000_000,
  seconds,
  copySeconds: null,
  checksumSeconds: null,
  snapshotLockMs: null,
  peakRssMiB: null,
  latency: null,
  ...extra,
});

describe('judgeTargets', () => {
  it('judges each target from the medians, osc as users run it with the other osc beside', () => {
    const verdicts = judgeTargets({
      flavor: 'mariadb',
      rows: 2_000_000,
      replayEventsPerSecond: 21_000,
      medians: [
        run('floor', 'idle', 20),
        run('floor', 'idle', 10, { size: 1_000_000 }),
        run('pt-osc', 'idle', 22),
        run('osc', 'idle', 22, {
          copySeconds: 18,
          checksumSeconds: 1.8,
          snapshotLockMs: 4,
          latency: { cutOverMax: 30 },
        }),
        run('osc-nocheck', 'idle', 20, { latency: { cutOverMax: 40 } }),
        run('osc', 'writes', 30, {
          copySeconds: 25,
          checksumSeconds: 3,
          snapshotLockMs: 120,
          latency: { cutOverMax: 90 },
        }),
        run('osc-nocheck', 'writes', 22),
        run('osc', 'idle', 10, { size: 1_000_000, peakRssMiB: 100 }),
        run('osc', 'idle', 45, { size: 4_000_000, peakRssMiB: 112 }),
      ],
    });
    expect(verdicts).toEqual([
      { target: 'idle: <= 1.0x pt-osc', measured: '1.00x (osc-nocheck: 0.91x)', met: true },
      { target: 'idle: <= 1.05x the single INSERT ... SELECT', measured: '1.10x (osc-nocheck: 1.00x)', met: false },
      { target: 'under writes: <= 1.2x osc idle', measured: '1.36x (osc-nocheck: 1.10x)', met: false },
      {
        target: "writers' worst latency during the cut-over <= 100 ms",
        measured: '90 ms (worst of 3 median runs)',
        met: true,
      },
      { target: 'replay >= 20,000 row events/s', measured: '21000 events/s', met: true },
      { target: '4M rows: <= 4.4x the 1M time', measured: '4.50x', met: false },
      { target: 'peak RSS at 4M rows <= 150 MB', measured: '112 MiB', met: true },
      { target: 'peak RSS at 4M within 10% of 1M', measured: '1.12x (100 -> 112 MiB)', met: false },
      { target: 'checksum <= 10% of the copy', measured: '12% (worst load)', met: false },
      { target: 'checksum snapshot lock <= 100 ms', measured: '120 ms', met: false },
    ]);
  });

  it('says what a run did not measure, and holds MySQL to 0.7x pt-osc', () => {
    const verdicts = judgeTargets({
      flavor: 'mysql',
      rows: 1_000_000,
      replayEventsPerSecond: null,
      medians: [run('pt-osc', 'idle', 10, { size: 1_000_000 }), run('osc-nocheck', 'idle', 7, { size: 1_000_000 })],
    });
    expect(verdicts[0]).toEqual({ target: 'idle: <= 0.7x pt-osc', measured: '0.70x', met: true });
    expect(verdicts.filter((v) => v.met === null).map((v) => v.target)).toEqual([
      'under writes: <= 1.2x osc idle',
      "writers' worst latency during the cut-over <= 100 ms",
      'replay >= 20,000 row events/s',
      '4M rows: <= 4.4x the 1M time',
      'peak RSS at 4M rows <= 150 MB',
      'peak RSS at 4M within 10% of 1M',
      'checksum <= 10% of the copy',
      'checksum snapshot lock <= 100 ms',
    ]);
    expect(renderTargets(verdicts, 'mysql').split('\n')[0]).toBe(
      'idle: <= 0.7x pt-osc                                  met      0.70x',
    );
  });

  it('follows a target not met with what limits it on this machine', () => {
    const lines = renderTargets(
      [
        { target: 'checksum <= 10% of the copy', measured: '18% (worst load)', met: false },
        { target: 'peak RSS at 4M rows <= 150 MB', measured: '77 MiB', met: true },
      ],
      'mysql',
    ).split('\n');
    expect(lines).toEqual([
      'checksum <= 10% of the copy    NOT MET  18% (worst load)',
      `${' '.repeat(40)}limit: ${knownLimit('checksum <= 10% of the copy', 'mysql')}`,
      'peak RSS at 4M rows <= 150 MB  met      77 MiB',
    ]);
    expect(knownLimit('checksum <= 10% of the copy', 'mysql')).toMatch(/MySQL 9.7 takes about 0.7 us per row to hash/);
  });
});
