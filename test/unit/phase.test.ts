import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition, PHASES } from '../../src/core/phase.js';
import type { Phase } from '../../src/core/phase.js';

describe('phases', () => {
  it('are listed in order', () => {
    expect(PHASES).toEqual([
      'init',
      'preflight',
      'setup',
      'copy',
      'checksum',
      'postponed',
      'cutover',
      'cleanup',
      'done',
      'failed',
    ]);
  });
  it('allows the forward path, with or without postponing', () => {
    const path: Phase[] = ['init', 'preflight', 'setup', 'copy', 'postponed', 'cutover', 'cutover', 'cleanup', 'done'];
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
    expect(canTransition('copy', 'cutover')).toBe(true);
  });
  it('checksums after the copy, and again after a postponement', () => {
    const path: Phase[] = ['copy', 'checksum', 'postponed', 'checksum', 'cutover'];
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
    expect(canTransition('checksum', 'copy')).toBe(false);
    expect(canTransition('checksum', 'failed')).toBe(true);
  });
  it('lets every live phase fail or clean up', () => {
    for (const p of ['init', 'preflight', 'setup', 'copy', 'postponed', 'cutover'] as const) {
      expect(canTransition(p, 'failed')).toBe(true);
      expect(canTransition(p, 'cleanup')).toBe(true);
    }
    expect(canTransition('cleanup', 'failed')).toBe(true);
    expect(canTransition('cleanup', 'cleanup')).toBe(false);
  });
  it('refuses skipping, going back and leaving a final phase', () => {
    expect(canTransition('init', 'copy')).toBe(false);
    expect(canTransition('copy', 'setup')).toBe(false);
    expect(canTransition('postponed', 'copy')).toBe(false);
    expect(canTransition('cutover', 'done')).toBe(false);
    expect(canTransition('done', 'failed')).toBe(false);
    expect(canTransition('failed', 'cleanup')).toBe(false);
  });
  it('assertTransition throws an INTERNAL error', () => {
    expect(() => assertTransition('init', 'done')).toThrow('phase transition init -> done is not allowed');
    expect(() => assertTransition('done', 'copy')).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(() => assertTransition('copy', 'cutover')).not.toThrow();
  });
});
