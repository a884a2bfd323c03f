// Generated-column detection over the EXTRA / GENERATION_EXPRESSION pairs MySQL 9.7 and MariaDB 10.11 print.
import { describe, expect, test } from 'vitest';
import { generationOf } from '../../src/core/generation.js';

const plain = { generation: null, generationExpression: null };

describe('generationOf', () => {
  test('MySQL 9.7: expression defaults are plain columns', () => {
    expect(generationOf('DEFAULT_GENERATED', '')).toEqual(plain);
    expect(generationOf('DEFAULT_GENERATED on update CURRENT_TIMESTAMP', '')).toEqual(plain);
    expect(generationOf('DEFAULT_GENERATED on update CURRENT_TIMESTAMP(6)', '')).toEqual(plain);
    expect(generationOf('DEFAULT_GENERATED INVISIBLE', '')).toEqual(plain);
    expect(generationOf('DEFAULT_GENERATED on update CURRENT_TIMESTAMP INVISIBLE', '')).toEqual(plain);
    expect(generationOf('on update CURRENT_TIMESTAMP', '')).toEqual(plain);
    expect(generationOf('auto_increment', '')).toEqual(plain);
    expect(generationOf('', '')).toEqual(plain);
  });

  test('MySQL 9.7: generated columns', () => {
    expect(generationOf('VIRTUAL GENERATED', '(`f` * 2)')).toEqual({
      generation: 'virtual',
      generationExpression: '(`f` * 2)',
    });
    expect(generationOf('STORED GENERATED', '(`f` * 3)')).toEqual({
      generation: 'stored',
      generationExpression: '(`f` * 3)',
    });
    expect(generationOf('VIRTUAL GENERATED INVISIBLE', '(`id` * 2)')).toEqual({
      generation: 'virtual',
      generationExpression: '(`id` * 2)',
    });
    expect(generationOf('STORED GENERATED INVISIBLE', '(`id` * 3)')).toEqual({
      generation: 'stored',
      generationExpression: '(`id` * 3)',
    });
  });

  test('MariaDB 10.11: plain columns, expression defaults included', () => {
    expect(generationOf('', null)).toEqual(plain);
    expect(generationOf('on update current_timestamp()', null)).toEqual(plain);
    expect(generationOf('on update current_timestamp(6)', null)).toEqual(plain);
    expect(generationOf('on update current_timestamp(), INVISIBLE', null)).toEqual(plain);
    expect(generationOf('INVISIBLE', null)).toEqual(plain);
    expect(generationOf('auto_increment', null)).toEqual(plain);
    expect(generationOf(null, null)).toEqual(plain);
  });

  test('MariaDB 10.11: generated columns (PERSISTENT reads STORED)', () => {
    expect(generationOf('VIRTUAL GENERATED', '`f` * 2')).toEqual({
      generation: 'virtual',
      generationExpression: '`f` * 2',
    });
    expect(generationOf('STORED GENERATED', '`f` * 3')).toEqual({
      generation: 'stored',
      generationExpression: '`f` * 3',
    });
    expect(generationOf('VIRTUAL GENERATED, INVISIBLE', '`id` * 2')).toEqual({
      generation: 'virtual',
      generationExpression: '`id` * 2',
    });
    expect(generationOf('STORED GENERATED, INVISIBLE', '`id` * 3')).toEqual({
      generation: 'stored',
      generationExpression: '`id` * 3',
    });
    expect(generationOf('PERSISTENT GENERATED', '`id` * 4')).toEqual({
      generation: 'stored',
      generationExpression: '`id` * 4',
    });
  });

  test('a generation expression alone does not make a column generated', () => {
    expect(generationOf('', 'uuid()')).toEqual(plain);
    expect(generationOf('DEFAULT_GENERATED', 'now()')).toEqual(plain);
  });
});
