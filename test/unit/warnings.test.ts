import { describe, expect, it } from 'vitest';
import { classifyReplayWarnings, classifyWarnings, describeWarningProblem } from '../../src/core/sql/warnings.js';

const KEY = { name: 'PRIMARY', ghostName: 'PRIMARY' };

describe('classifyWarnings', () => {
  it('is empty for no warnings', () => {
    expect(classifyWarnings([], KEY)).toEqual({ duplicatesOnChunkKey: 0, otherDuplicateKeys: [], problems: [] });
  });

  it("ignores MySQL's 1300 about key bounds holding bytes their charset leaves undefined; 1366 is a problem", () => {
    const v = classifyWarnings(
      [
        { Level: 'Warning', Code: 1300, Message: "Invalid cp1251 character string: '98'" },
        { Level: 'Warning', Code: 1366, Message: "Incorrect string value: '\\x98' for column 'x' at row 1" },
      ],
      KEY,
    );
    expect(v).toEqual({
      duplicatesOnChunkKey: 0,
      otherDuplicateKeys: [],
      problems: [{ code: 1366, level: 'Warning' }],
    });
  });

  it('counts duplicates on the chunk key, MariaDB and MySQL forms', () => {
    const v = classifyWarnings(
      [
        { Level: 'Warning', Code: 1062, Message: "Duplicate entry '5' for key 'PRIMARY'" },
        { Level: 'Warning', Code: 1062, Message: "Duplicate entry '6' for key '_orders_gho.PRIMARY'" },
        { Level: 'Warning', Code: 1062, Message: "Duplicate entry 'x' for key 'y'-7' for key 'PRIMARY'" },
      ],
      KEY,
    );
    expect(v).toEqual({ duplicatesOnChunkKey: 3, otherDuplicateKeys: [], problems: [] });
  });

  it('matches the ghost name of a renamed chunk key', () => {
    const v = classifyWarnings(
      [
        { Level: 'Warning', Code: 1062, Message: "Duplicate entry 'a' for key '_t_gho.u_sku'" },
        { Level: 'Warning', Code: 1062, Message: "Duplicate entry 'a' for key 'u_code'" },
      ],
      { name: 'u_code', ghostName: 'u_sku' },
    );
    expect(v).toEqual({ duplicatesOnChunkKey: 1, otherDuplicateKeys: ['u_code'], problems: [] });
  });

  it('reports duplicates on other keys by name only, once each', () => {
    const v = classifyWarnings(
      [
        { Level: 'Warning', Code: 1062, Message: "Duplicate entry 'a@x' for key '_t_gho.uk_email'" },
        { Level: 'Warning', Code: 1062, Message: "Duplicate entry 'b@x' for key 'uk_email'" },
        { Level: 'Warning', Code: 1062, Message: "Duplicate entry '1-2' for key 'uk_pair'" },
      ],
      KEY,
    );
    expect(v).toEqual({ duplicatesOnChunkKey: 0, otherDuplicateKeys: ['uk_email', 'uk_pair'], problems: [] });
  });

  it('treats everything else as a problem, without messages', () => {
    const v = classifyWarnings(
      [
        { Level: 'Warning', Code: 1265, Message: "Data truncated for column 'a' at row 1" },
        { Level: 'Warning', Code: 1366, Message: "Incorrect string value: '\\xF0\\x9F' for column 'b'" },
        { Level: 'Error', Code: 1062, Message: 'Duplicate entry without a key' },
        { Level: 'Note', Code: 1003, Message: 'select ...' },
      ],
      KEY,
    );
    expect(v).toEqual({
      duplicatesOnChunkKey: 0,
      otherDuplicateKeys: [],
      problems: [
        { code: 1265, level: 'Warning' },
        { code: 1366, level: 'Warning' },
        { code: 1062, level: 'Error' },
        { code: 1003, level: 'Note' },
      ],
    });
    expect(JSON.stringify(v)).not.toContain('column');
  });
});

describe('describeWarningProblem', () => {
  it('names codes with known descriptions, counts and keys', () => {
    const v = classifyWarnings(
      [
        { Level: 'Warning', Code: 1265, Message: 'secret' },
        { Level: 'Warning', Code: 1265, Message: 'secret' },
        { Level: 'Warning', Code: 1264, Message: 'secret' },
        { Level: 'Warning', Code: 1048, Message: 'secret' },
        { Level: 'Warning', Code: 1292, Message: 'secret' },
        { Level: 'Warning', Code: 1366, Message: 'secret' },
        { Level: 'Warning', Code: 1406, Message: 'secret' },
        { Level: 'Error', Code: 1918, Message: 'secret' },
        { Level: 'Warning', Code: 1062, Message: "Duplicate entry 'secret' for key 't.uk'" },
      ],
      KEY,
    );
    expect(describeWarningProblem(v)).toBe(
      'warning 1265 (data truncated for a column) 2 times; warning 1264 (value out of range for its column); ' +
        'warning 1048 (NULL into a NOT NULL column); warning 1292 (incorrect date, time or number value); ' +
        "warning 1366 (incorrect value for the column's type or character set); warning 1406 (data too long for a column); " +
        "error 1918; duplicate entries on unique key 'uk' of the new table",
    );
  });

  it('names an unparsable duplicate by code', () => {
    const v = classifyWarnings([{ Level: 'Warning', Code: 1062, Message: '?' }], KEY);
    expect(describeWarningProblem(v)).toBe('warning 1062 (duplicate entry on a unique key)');
  });

  it('says so when there is nothing', () => {
    expect(describeWarningProblem({ duplicatesOnChunkKey: 4, otherDuplicateKeys: [], problems: [] })).toBe(
      'no problem',
    );
  });
});

describe('classifyReplayWarnings', () => {
  const w = (Code: number, Level = 'Warning') => ({ Level, Code, Message: 'quotes a value' });
  const harmless = new Set([1287, 3719, 1300]);
  it('a note or warning about the data is a problem, by code and level only', () => {
    expect(classifyReplayWarnings([w(1265, 'Note'), w(1287)], harmless)).toEqual({
      problems: [{ code: 1265, level: 'Note' }],
      textOnly: false,
    });
  });
  it("deprecation warnings are about the statement's text: harmless, and raised again every time", () => {
    expect(classifyReplayWarnings([w(1287), w(3719)], harmless)).toEqual({ problems: [], textOnly: true });
  });
  it('1300 is harmless only where the caller says so, and never about the text alone', () => {
    expect(classifyReplayWarnings([w(1300), w(1287)], harmless)).toEqual({ problems: [], textOnly: false });
    expect(classifyReplayWarnings([w(1300)], new Set([1287]))).toEqual({
      problems: [{ code: 1300, level: 'Warning' }],
      textOnly: false,
    });
  });
});
