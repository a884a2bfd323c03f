import { describe, expect, it } from 'vitest';
import { maskedTitle } from '../../src/core/argv.js';

describe('maskedTitle: the command line the process list shows', () => {
  it('masks the value after --password, and --password=value', () => {
    expect(maskedTitle(['/usr/bin/node', '/x/osc.js', '--user', 'u', '--password', 's3cret', '--execute'])).toBe(
      'osc --user u --password *** --execute',
    );
    expect(maskedTitle(['node', 'osc', '--password=s3cret', '--table', 't'])).toBe('osc --password=*** --table t');
  });

  it('masks only the value slot, even when the password equals another argument', () => {
    expect(maskedTitle(['node', 'osc', '--table', 'orders', '--password', 'orders'])).toBe(
      'osc --table orders --password ***',
    );
  });

  it('leaves the title alone when there is nothing to mask', () => {
    expect(maskedTitle(['node', 'osc', '--user', 'u'])).toBeNull();
    expect(maskedTitle(['node', 'osc', '--password', ''])).toBeNull();
  });
});
