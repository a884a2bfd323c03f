import { describe, expect, it } from 'vitest';
import { CutOverError, MigrationError, withNote } from '../../src/core/errors.js';

describe('withNote', () => {
  it('keeps the class, the code and the cause, and appends the note to the message', () => {
    const cause = new Error('lost');
    const err = withNote(new CutOverError('CUT_OVER_FAILED', 'cut-over failed', { cause }), 'tables left: a, b');
    expect(err).toBeInstanceOf(CutOverError);
    expect(err).toBeInstanceOf(MigrationError);
    expect(err.code).toBe('CUT_OVER_FAILED');
    expect(err.message).toBe('cut-over failed; tables left: a, b');
    expect(err.cause).toBe(cause);
    expect(err.name).toBe('CutOverError');
  });
});
