// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Only the worker's composition imports jobs/. */
const notJobs = {
  group: ['**/jobs/*'],
  message: 'Only the worker imports jobs/: queue contracts live in queue/, metric registration in metrics/, shared helpers beside them.',
};

const noDb = { group: ['**/db/*'], message: 'Routes reach data through services.' };

/** One restricted-imports rule per folder: a later rule for the same file would replace, not add to, an earlier one. */
const layer = (files, patterns, ignores = []) => ({ files, ignores, rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] } });

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
  // The layers (docs/architecture.md): routes reach data only through services, repositories do I/O, not rules,
  // domain/ imports no other layer, only the worker imports jobs/, and jobs take what they use, not the runtime.
  layer(['src/**'], [notJobs], ['src/jobs/**', 'src/worker.ts', 'src/routes/**', 'src/db/**', 'src/domain/**']),
  layer(['src/routes/**'], [noDb, notJobs], ['src/routes/api/**']),
  // API route files are registered by the app, each on its own: a hook or a shape two of them share lives outside them.
  layer(
    ['src/routes/api/**'],
    [noDb, { group: ['**/*.routes.ts'], message: 'An API route file imports no other route file: a hook two features share lives in plugins/.' }, notJobs],
  ),
  layer(
    ['src/db/**'],
    [{ group: ['**/domain/*'], allowTypeImports: true, message: 'Repositories take types from domain/; jobs and services apply its rules.' }, notJobs],
  ),
  layer(
    ['src/domain/**'],
    [{ group: ['../*', '../**/*'], message: 'domain/ is pure and owns its records: it imports only from domain/ (contracts/ build on it).' }],
  ),
  layer(
    ['src/jobs/**'],
    [{ group: ['**/runtime.ts'], message: 'A job takes the few things it uses (jobs/job-deps.ts), not the whole Runtime.' }],
    ['src/jobs/start-worker.ts'],
  ),
  // Views render; a threshold, a limit or a confirmation rule a page needs comes from domain/ (STYLE 17).
  {
    files: ['src/ui/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['VariableDeclaration > VariableDeclarator', 'FunctionDeclaration'].map((node) => ({
          selector: `ExportNamedDeclaration > ${node}[id.name=/^(confirmation|needs)|(Threshold|Limit)$/]`,
          message: 'A threshold, limit or confirmation rule lives in domain/, so the API and the page cannot disagree; the page only shows it.',
        })),
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
