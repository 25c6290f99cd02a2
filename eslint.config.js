// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

/**
 * The module table of ../shared/DESIGN.md, as data: each folder of src/ and what it may import.
 * Everything not listed for a folder is forbidden to it, so the boundaries cannot rot.
 */
const allowed = {
  shared: [],
  media: ['shared'],
  rtmp: ['media', 'shared'],
  ingest: ['rtmp', 'media', 'shared'],
  relay: ['rtmp', 'media', 'shared'],
  fallback: ['media', 'shared'],
  channel: ['media', 'shared'],
  store: ['shared'],
  api: ['shared'],
  // The engine runs the stream: it wires ingest, channel, relay and fallback, and owns their lifecycles.
  engine: ['shared', 'media', 'rtmp', 'ingest', 'relay', 'fallback', 'channel', 'store', 'config.ts'],
  // Transitional (the split of src/core): narrowed to ports and the contract by the next commits.
  observability: ['shared', 'media', 'relay', 'fallback', 'channel', 'store', 'engine'],
  control: ['shared', 'media', 'relay', 'fallback', 'channel', 'store', 'engine', 'observability'],
};
const everything = [...Object.keys(allowed), 'config.ts', 'main.ts', 'cli.ts'];
const zones = Object.entries(allowed).flatMap(([folder, may]) =>
  everything
    .filter((other) => other !== folder && !may.includes(other))
    .map((other) => ({
      target: `./src/${folder}`,
      from: `./src/${other}`,
      message: `src/${folder} may import only ${may.join(', ') || 'nothing of src'} (DESIGN.md module table)`,
    })),
);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'bin/**', 'scripts/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: true } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-restricted-paths': ['error', { zones }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['test/**', 'bench/**', 'vitest.config.ts', 'eslint.config.js'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Test helpers type what a JSON response is expected to hold; the test's assertions check it.
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // The dashboard (web/, its own tsconfig, found by the project service): browser globals, the rules
    // of hooks, and nothing of the server but `import type` (DESIGN.md: web/ imports only API types).
    files: ['web/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.flat['recommended-latest'].rules,
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/**'],
              allowTypeImports: true,
              message: 'web/ may import only types from the server (src/api/dto.ts)',
            },
          ],
        },
      ],
    },
  },
  // A config file has no cycles, and following Vite's own imports trips the legacy node resolver.
  { files: ['web/vite.config.ts'], rules: { 'import-x/no-cycle': 'off' } },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
