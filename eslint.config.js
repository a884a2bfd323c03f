// Flat config: typescript-eslint's type-checked recommended rules over our TypeScript, kept practical.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const TS_FILES = ['bin/**/*.ts', 'src/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts'];

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended],
  },
  {
    files: TS_FILES,
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_name` marks a parameter or binding kept on purpose (interface shape, destructuring to omit).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      // An unawaited promise loses its rejection: a failed chunk or replay must never go unnoticed.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // src/core stays pure: no driver, no binlog reader, no sockets or files, and nothing from outside core.
  ...[
    ['src/core/*.ts', '../*'],
    ['src/core/*/*.ts', '../../*'],
    ['src/core/*/*/*.ts', '../../../*'],
  ].map(([files, up]) => ({
    files: [files],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            'mysql2',
            'mysql2/promise',
            '@vlasky/zongji',
            'node:net',
            'net',
            'node:fs',
            'fs',
            'node:fs/promises',
            'fs/promises',
          ].map((name) => ({
            name,
            message:
              'src/core is pure: talk to the server, the network or files in stages/, io/ or operator/ and pass the result in.',
          })),
          patterns: [
            {
              group: [up],
              message: 'src/core imports only from src/core: move the shared piece into core, or pass it in.',
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['test/**/*.ts'],
    rules: {
      // expect(obj.method) and mocks pass methods around unbound on purpose.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
