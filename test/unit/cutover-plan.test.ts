import { describe, expect, it } from 'vitest';
import {
  CUT_OVER_STEPS,
  cutOverAlgorithm,
  cutOverBackoffMillis,
  describeAttempt,
  judgeTables,
  renameLockPlan,
} from '../../src/core/cutover/plan.js';
import { parseVersion } from '../../src/core/server.js';

describe('cut-over plan', () => {
  it('backs off from 500 ms, doubling, capped at 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 60, 10_000].map(cutOverBackoffMillis)).toEqual([
      500, 1000, 2000, 4000, 5000, 5000, 5000, 5000,
    ]);
    expect(cutOverBackoffMillis(0)).toBe(500);
  });
  it('describes attempts', () => {
    expect(describeAttempt(2, 60)).toBe('attempt 2/60');
  });
});

describe('which algorithm swaps the tables', () => {
  it.each([
    ['8.0.13', 'single-session'],
    ['8.0.36', 'single-session'],
    ['8.4.3', 'single-session'],
    ['9.7.4-2', 'single-session'],
    ['10.0.0', 'single-session'],
    ['8.0.12', 'two-connection'],
    ['8.0.0', 'two-connection'],
    ['5.7.44-log', 'two-connection'],
    // A version osc cannot parse reads as 0.0.0: the algorithm every server accepts.
    ['8.0.mysql_aurora.3.04.0', 'two-connection'],
    ['10.11.18-MariaDB-0+deb12u1-log', 'two-connection'],
    ['11.4.2-MariaDB', 'two-connection'],
    ['5.5.5-10.11.6-MariaDB', 'two-connection'],
  ])('%s: %s', (version, algorithm) => {
    expect(cutOverAlgorithm(parseVersion(version))).toBe(algorithm);
  });
  it('each algorithm has its steps, the shared ones in the same order', () => {
    expect(CUT_OVER_STEPS['single-session']).toEqual([
      'hold-replay',
      'lock-tables',
      'write-marker',
      'wait-marker-replayed',
      'check-run-lock',
      'rename-completes',
      'unlock',
    ]);
    expect(CUT_OVER_STEPS['two-connection']).toEqual([
      'create-sentry',
      'lock-tables',
      'write-marker',
      'wait-marker-replayed',
      'check-run-lock',
      'issue-rename',
      'wait-rename-blocked',
      'check-ghost-free',
      'drop-sentry',
      'wait-rename-queued-on-table',
      'unlock',
      'rename-completes',
    ]);
  });
});

describe('the order RENAME takes its locks in', () => {
  const plan = (t: string, lctn = 0) => renameLockPlan(t, `_${t}_del`, `_${t}_gho`, lctn);
  it.each([
    ['t', ['_t_del', '_t_gho', 't']],
    ['orders', ['_orders_del', '_orders_gho', 'orders']],
    ['_a', ['__a_del', '__a_gho', '_a']],
    ['Über', ['_Über_del', '_Über_gho', 'Über']],
    ['表', ['_表_del', '_表_gho', '表']],
    ['~t', ['_~t_del', '_~t_gho', '~t']],
  ])('%s sorts after _ : B first waits on the sentry, and queues on the table only after the drop', (t, order) => {
    expect(plan(t)).toEqual({ order, firstWait: `_${t}_del`, queuesOnTable: 'after-drop' });
  });
  it.each([
    ['Orders', ['Orders', '_Orders_del', '_Orders_gho']],
    ['T', ['T', '_T_del', '_T_gho']],
    ['9t', ['9t', '_9t_del', '_9t_gho']],
    ['$t', ['$t', '_$t_del', '_$t_gho']],
    ['_A', ['_A', '__A_del', '__A_gho']],
    ['__9', ['__9', '___9_del', '___9_gho']],
    ['_', ['_', '___del', '___gho']],
    ['__', ['__', '____del', '____gho']],
  ])('%s sorts before _ : B first waits on the table itself', (t, order) => {
    expect(plan(t)).toEqual({ order, firstWait: t, queuesOnTable: 'before-drop' });
  });
  it('with lower_case_table_names 1 or 2 names compare in lower case', () => {
    expect(plan('Orders', 1)).toEqual({
      order: ['_Orders_del', '_Orders_gho', 'Orders'],
      firstWait: '_Orders_del',
      queuesOnTable: 'after-drop',
    });
    expect(plan('_A', 2)).toEqual({
      order: ['__A_del', '__A_gho', '_A'],
      firstWait: '__A_del',
      queuesOnTable: 'after-drop',
    });
    expect(plan('9t', 1)).toEqual({
      order: ['9t', '_9t_del', '_9t_gho'],
      firstWait: '9t',
      queuesOnTable: 'before-drop',
    });
  });
  it('the table sorting last, B first waits on the sentry even if the ghost sorts before it', () => {
    expect(renameLockPlan('z', 'm', 'a', 0)).toEqual({
      order: ['a', 'm', 'z'],
      firstWait: 'm',
      queuesOnTable: 'after-drop',
    });
  });
  it('a table sorting between the other two names has no safe unlock point', () => {
    expect(() => renameLockPlan('m', 'a', 'z', 0)).toThrow(
      'the table name m sorts between a and z; the cut-over cannot tell when to unlock',
    );
  });
});

describe('which table is which after an attempt whose outcome was not seen', () => {
  const names = { table: 't', ghost: '_t_gho', old: '_t_del' };
  const mine = ['osc cut-over sentry aa-1', 'osc cut-over sentry aa-2'];
  const t = (name: string, comment = '') => ({ name, comment });
  it('the RENAME ran: t and a _t_del that is no sentry of ours, no ghost', () => {
    expect(judgeTables([t('t'), t('_t_del', 'orders of the shop')], names, mine)).toEqual({ state: 'swapped' });
    expect(judgeTables([t('t'), t('_t_del')], names, mine)).toEqual({ state: 'swapped' });
  });
  it('the RENAME did not run: _t_del is dropped only when it is one of our sentries', () => {
    expect(judgeTables([t('t'), t('_t_gho')], names, mine)).toEqual({ state: 'intact', dropOld: false });
    expect(judgeTables([t('t'), t('_t_gho'), t('_t_del', 'osc cut-over sentry aa-1')], names, mine)).toEqual({
      state: 'intact',
      dropOld: true,
    });
    expect(judgeTables([t('t'), t('_t_gho'), t('_t_del', 'osc cut-over sentry bb-1')], names, mine)).toEqual({
      state: 'intact',
      dropOld: false,
    });
    expect(judgeTables([t('t'), t('_t_gho'), t('_t_del', 'osc cut-over sentry')], names, mine)).toEqual({
      state: 'intact',
      dropOld: false,
    });
  });
  it('names are compared exactly (a case-insensitive catalogue may return T for t)', () => {
    expect(judgeTables([t('T'), t('_t_gho')], names, mine)).toEqual({ state: 'unknown', found: ['_t_gho'] });
  });
  it('anything else is unknown', () => {
    expect(judgeTables([t('t'), t('_t_del', 'osc cut-over sentry aa-2')], names, mine)).toEqual({
      state: 'unknown',
      found: ['t', '_t_del'],
    });
    expect(judgeTables([t('_t_del'), t('_t_gho')], names, mine)).toEqual({
      state: 'unknown',
      found: ['_t_gho', '_t_del'],
    });
    expect(judgeTables([t('t')], names, mine)).toEqual({ state: 'unknown', found: ['t'] });
    expect(judgeTables([], names, mine)).toEqual({ state: 'unknown', found: [] });
  });
});
