import { describe, expect, it } from 'vitest';
import { enumMembers } from '../../src/core/enum-members.js';

describe('enumMembers', () => {
  it('reads members as information_schema prints them, commas, quotes and escapes included', () => {
    // Printed by both servers for ENUM('x,y', 'it''s', 'a\\b', 'n<LF>l', 'z<NUL>z', 'cr<CR>', 'tab<TAB>', 'Upper', 'q"q').
    expect(enumMembers("enum('x,y','it''s','a\\\\b','n\\nl','z\\0z','cr\\r','tab\t','Upper','q\"q')")).toEqual([
      'x,y',
      "it's",
      'a\\b',
      'n\nl',
      'z\0z',
      'cr\r',
      'tab\t',
      'Upper',
      'q"q',
    ]);
    expect(enumMembers("set('','''''','é','\u0081')")).toEqual(['', "''", 'é', '\u0081']);
    expect(enumMembers("ENUM('a')")).toEqual(['a']);
  });
  it('refuses anything else', () => {
    expect(() => enumMembers('varchar(10)')).toThrow('not an ENUM or SET column type');
    expect(() => enumMembers("enum('a'")).toThrow('malformed ENUM or SET column type');
    expect(() => enumMembers("enum('a")).toThrow('unterminated ENUM or SET member');
    expect(() => enumMembers('enum(a)')).toThrow('malformed ENUM or SET column type');
  });
});
