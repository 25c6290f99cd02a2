// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

/**
 * The module table of docs/architecture.md, as data: each folder of src/ and what it may import. A
 * `folder/file.ts` entry allows that one file of a folder that is otherwise off limits. Everything not
 * listed for a folder is forbidden to it, so the boundaries cannot rot.
 */
const allowed = {
  // The shared shapes, names and limits: imports nothing, so everyone may import it.
  contract: [],
  shared: [],
  media: ['shared', 'contract'],
  rtmp: ['media', 'shared', 'contract'],
  // src/rtmp is reached through its one public surface, rtmp/index.ts.
  ingest: ['rtmp/index.ts', 'media', 'shared', 'contract'],
  relay: ['rtmp/index.ts', 'media', 'shared', 'contract'],
  fallback: ['media', 'shared', 'contract'],
  channel: ['media', 'shared', 'contract'],
  store: ['shared', 'contract'],
  // The engine runs the stream: it wires ingest, channel, relay and fallback, and owns their lifecycles.
  engine: [
    'shared',
    'media',
    'rtmp',
    'ingest',
    'relay',
    'fallback',
    'channel',
    'store',
    'contract',
    'config.ts',
  ],
  // Observability listens to the engine's events (shapes from the contract), never to the engine itself.
  observability: ['shared', 'store', 'contract'],
  // The control plane reaches the engine through the ports it declares (control/ports.ts); the platform
  // preset table is static data it shows and validates against.
  control: ['shared', 'store', 'contract', 'relay/presets.ts'],
  api: ['shared', 'contract'],
};
const everything = [...Object.keys(allowed), 'config.ts', 'main.ts', 'cli.ts'];
const zones = Object.entries(allowed).flatMap(([folder, may]) =>
  everything
    .filter((other) => other !== folder && !may.includes(other))
    .map((other) => {
      const files = may.filter((m) => m.startsWith(`${other}/`)).map((m) => `./${m.slice(other.length + 1)}`);
      return {
        target: `./src/${folder}`,
        from: `./src/${other}`,
        ...(files.length > 0 ? { except: files } : {}),
        message: `src/${folder} may import only ${may.join(', ') || 'nothing of src'} (docs/architecture.md module table)`,
      };
    }),
);

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      'bin/**',
      'scripts/**',
      // Plain JavaScript on purpose: what it measures is node alone, with no type-stripping loader.
      'bench/node-floor-relay.mjs',
      '.dependency-cruiser.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    // Resolve `./x.js` to the `./x.ts` beside it (NodeNext's spelling): without it no import resolves,
    // and the path zones below would check nothing.
    settings: {
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.node'],
          extensionAlias: { '.js': ['.ts', '.tsx', '.js'] },
        }),
      ],
    },
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
    // of hooks, and nothing of the server but `import type`, or the contract's dependency-free names and
    // limits (docs/architecture.md: web/ imports only the contract).
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
              regex: '/src/(?!contract/(values|limits)\\.js$)',
              allowTypeImports: true,
              message: 'web/ may import only types from the server, or src/contract/values.ts and limits.ts',
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
