import { describe, expect, it } from 'vitest';
import { loadConfFile, parseConfFile } from '../../src/cli/conf-file.js';
import { ConfigError } from '../../src/core/errors.js';

function failure(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('BAD_USAGE');
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfFile', () => {
  it('reads user, password, host and port from [client]', () => {
    const text = ['[client]', 'user = osc', 'password=secret', 'host = db-primary', 'port = 3307', ''].join('\n');
    expect(parseConfFile(text, 'a.cnf')).toEqual({
      path: 'a.cnf',
      user: 'osc',
      password: 'secret',
      host: 'db-primary',
      port: '3307',
    });
  });

  it('ignores other sections, comments, blank lines, directives and unknown keys', () => {
    const text = [
      '# a comment',
      '; another',
      '[mysqld]',
      'user = mysql',
      'port = 1',
      '',
      '[ client ]  # the one we read',
      'socket = /tmp/x.sock',
      'ssl',
      'password',
      '!includedir /etc/mysql/conf.d/',
      'user = osc',
      '[mysqldump]',
      'user = dumper',
    ].join('\r\n');
    expect(parseConfFile(text, 'b.cnf')).toEqual({ path: 'b.cnf', user: 'osc' });
  });

  it('reads the section name case-insensitively and later values win', () => {
    expect(parseConfFile('[CLIENT]\nuser=a\n[client]\nuser=b\n', 'c.cnf')).toEqual({ path: 'c.cnf', user: 'b' });
  });

  it('strips quotes and comments, and keeps # inside quotes', () => {
    const text = ['[client]', 'password = "p#ss word"  # trailing comment', "user = 'o''", 'host = db # comment'].join(
      '\n',
    );
    // 'o'' : the closing quote ends the value, the rest must be a comment.
    expect(() => parseConfFile(text, 'd.cnf')).toThrow(ConfigError);
    const ok = ['[client]', 'password = "p#ss word"  # trailing comment', "user = 'osc'", 'host = db # comment'].join(
      '\n',
    );
    expect(parseConfFile(ok, 'd.cnf')).toEqual({ path: 'd.cnf', password: 'p#ss word', user: 'osc', host: 'db' });
  });

  it('understands escapes and treats - and _ alike in names', () => {
    const text = ['[client]', 'password = "a\\"b\\\\c\\sd"', 'USER = me'].join('\n');
    expect(parseConfFile(text, 'e.cnf')).toEqual({ path: 'e.cnf', password: 'a"b\\c d', user: 'me' });
  });

  it('keeps an empty value', () => {
    expect(parseConfFile('[client]\npassword=\n', 'f.cnf')).toEqual({ path: 'f.cnf', password: '' });
    expect(parseConfFile('[client]\npassword=""\n', 'f.cnf')).toEqual({ path: 'f.cnf', password: '' });
  });

  it('says where a quote is not closed', () => {
    expect(failure(() => parseConfFile('[client]\n\npassword = "abc\n', 'g.cnf')).message).toBe(
      '--conf g.cnf line 3: missing closing "',
    );
  });

  it('says where text follows a closing quote', () => {
    expect(failure(() => parseConfFile("[client]\nuser = 'a' b\n", 'h.cnf')).message).toBe(
      '--conf h.cnf line 2: unexpected text after the closing quote',
    );
  });

  it('says where a section header is malformed', () => {
    expect(failure(() => parseConfFile('[client\nuser=a\n', 'i.cnf')).message).toBe(
      '--conf i.cnf line 1: malformed section header',
    );
  });
});

describe('loadConfFile', () => {
  it('reads through the given reader', () => {
    const seen: string[] = [];
    const conf = loadConfFile('/etc/osc.cnf', (p) => {
      seen.push(p);
      return '[client]\nuser=osc\n';
    });
    expect(seen).toEqual(['/etc/osc.cnf']);
    expect(conf).toEqual({ path: '/etc/osc.cnf', user: 'osc' });
  });

  it('turns an unreadable file into a ConfigError with the cause', () => {
    const cause = new Error("ENOENT: no such file or directory, open '/nope.cnf'");
    const err = failure(() =>
      loadConfFile('/nope.cnf', () => {
        throw cause;
      }),
    );
    expect(err.message).toBe("cannot read --conf /nope.cnf: ENOENT: no such file or directory, open '/nope.cnf'");
    expect(err.cause).toBe(cause);
  });
});
