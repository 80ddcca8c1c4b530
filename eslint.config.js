// Lint configuration: typescript-eslint's recommended type-aware rules on all project code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', 'reports/runs/**', '.chaosctl/**', 'scenarios/schema.json', '.stryker-tmp/**', 'reports/mutation/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['cli/**/*.ts', 'target/**/*.ts', 'reports/**/*.ts'],
    rules: {
      // Library code reports errors; only the command layer picks an exit code (see docs/errors.md).
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'Only cli/main.ts and cli/commands/* may exit.' }],
    },
  },
  {
    files: ['cli/main.ts', 'cli/commands/**/*.ts', 'target/main.ts', 'cli/bin/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
