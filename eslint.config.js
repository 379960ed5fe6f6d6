// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'bench/results/', 'bench/profiles/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Fastify plugins and handlers are async by convention (FastifyPluginAsync), with or without an await.
      '@typescript-eslint/require-await': 'off',
      // `const { secret: _, ...rest } = row` is how the code drops a key.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  // The layers (docs/architecture.md): routes reach data only through services, and repositories do I/O, not rules.
  {
    files: ['src/routes/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['**/db/*'], message: 'Routes reach data through services.' }] }],
    },
  },
  {
    files: ['src/db/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/domain/*'], allowTypeImports: true, message: 'Repositories take types from domain/; jobs and services apply its rules.' }] },
      ],
    },
  },
  // Behind a pooler in transaction mode (docs/scaling.md) a connection is ours for one transaction: nothing may outlive it.
  {
    files: ['src/db/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='query'] > ObjectExpression > Property[key.name='name']",
          message: 'No named prepared statements: the next transaction may run on another server connection.',
        },
        ...['Literal', 'TemplateElement'].map((node) => ({
          selector: `${node}[${node === 'Literal' ? 'value' : 'value.raw'}=/pg_advisory_(un)?lock\\b|\\b(UN)?LISTEN\\s|TEMP(ORARY)?\\s+TABLE|(^|;)\\s*SET\\s+(?!LOCAL\\b)/]`,
          message: 'Session state (a session advisory lock, LISTEN, a temporary table, SET without LOCAL) outlives the transaction.',
        })),
      ],
    },
  },
  {
    files: ['test/**'],
    rules: {
      // inject().json() is `any` by design; the assertions are what check the body's shape.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  // Plain JS (this file, the browser script in src/ui/assets) is outside tsconfig: lint it without types.
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
  { files: ['src/ui/assets/**/*.js'], languageOptions: { globals: globals.browser, sourceType: 'script' } },
);
