// Lint rules that carry the project's architecture: typed errors, no floating promises,
// no `any`, and the layer order of docs/ARCHITECTURE.md enforced by a local rule.
import tseslint from 'typescript-eslint';
import path from 'node:path';

// Which layers each layer may import (besides itself). Keep in sync with docs/ARCHITECTURE.md §2.
const LAYERS = {
  util: [],
  systemd: ['util'],
  image: ['util'],
  net: ['util'],
  podfile: ['util', 'image'],
  pod: ['util', 'image', 'net', 'podfile'],
  daemon: ['util', 'systemd', 'podfile', 'pod', 'image'],
  host: ['util'],
  cli: ['util', 'systemd', 'image', 'net', 'podfile', 'pod', 'daemon', 'host'],
};

const srcRoot = path.resolve('src');

function layerOf(file) {
  const rel = path.relative(srcRoot, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep)[0];
}

const layerRule = {
  meta: {
    type: 'problem',
    messages: {
      upward: "layer '{{from}}' may not import layer '{{to}}' (allowed: {{allowed}}); see docs/ARCHITECTURE.md",
      deep: "import layer '{{to}}' through its index.js, not '{{spec}}'",
      unknown: "'{{to}}' is not a known layer under src/",
    },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const from = layerOf(file);
    if (from === undefined) return {};
    const check = (node) => {
      const spec = node.source && node.source.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = path.resolve(path.dirname(file), spec);
      const to = layerOf(target);
      if (to === undefined || to === from) return;
      if (!(to in LAYERS)) {
        context.report({ node, messageId: 'unknown', data: { to } });
        return;
      }
      const allowed = LAYERS[from] ?? [];
      if (!allowed.includes(to)) {
        context.report({ node, messageId: 'upward', data: { from, to, allowed: allowed.join(', ') || 'none' } });
        return;
      }
      if (path.relative(path.join(srcRoot, to), target) !== 'index.js') {
        context.report({ node, messageId: 'deep', data: { to, spec } });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'eslint.config.js', 'scripts/**', 'bench/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { rocklet: { rules: { layers: layerRule } } },
    rules: {
      'rocklet/layers': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': ['error', {
        // node:test's describe/it return promises the runner itself awaits.
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error',
        { selector: 'ExportDefaultDeclaration', message: 'No default exports: use named exports.' },
        { selector: "CatchClause[body.body.length=0]", message: 'Never swallow an error: handle the specific case or rethrow.' },
      ],
      'max-lines': ['warn', { max: 400, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': ['error',
        { object: 'process', property: 'exit', message: 'Only src/cli exits; throw a RockletError instead.' },
        { object: 'process', property: 'stdout', message: 'Only src/cli prints; return data instead.' },
      ],
    },
  },
);
