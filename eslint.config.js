// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';

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
  core: ['shared', 'media', 'rtmp', 'ingest', 'relay', 'fallback', 'channel', 'store', 'config.ts'],
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
  { ignores: ['dist/**', 'node_modules/**', 'web/**', 'coverage/**', 'data/**', 'bin/**', 'scripts/**'] },
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
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
