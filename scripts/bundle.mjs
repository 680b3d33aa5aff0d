#!/usr/bin/env node
// Bundles the tsc output into dist/rocklet/, the CLI users run (package.json "bin", install.sh).
// Usage: node scripts/bundle.mjs   (after tsc; `npm run build` does both)
//
// Why: Node resolves, stats, reads and links each ES module separately, and has no code cache
// for ES modules: `rocklet run` compiled ~1 MB of JavaScript from 20 files in ~20 ms on every
// start. The CLI is one CommonJS file instead, which the launcher compiles with V8's code cache
// (src/cli/launch.ts, code-cache.ts): `run` starts ~25 ms sooner once its cache exists.
//
// Layout of dist/rocklet/:
//   main.js       the executable (hashbang): src/cli/launch.ts, which imports only node: modules;
//                 ROCKLET_BUNDLE_ID is replaced with the SHA-256 of rocklet.cjs, which names
//                 the cache files, so a cache never outlives its code; ROCKLET_COMMAND_GROUPS
//                 with the command table's groups.
//   rocklet.cjs   the CLI: cli/main.ts and everything it imports, lazily imported modules
//                 included (esbuild keeps their evaluation lazy); import.meta.url is the
//                 bundle's own file URL, so files found beside it (hash-worker.js, the native
//                 addon up the tree, package.json) resolve as they did from dist/src.
//   hash-worker.js  the worker thread TarHasher starts with new URL('./hash-worker.js', import.meta.url).
// Each has a linked .map that chains through tsc's maps back to src/*.ts.
// node_modules stay external but yaml (below): the native addon is loaded with createRequire,
// and openpgp, tar-stream and dbus-next are required lazily where they are needed (lazyRequire).
import { createHash } from 'node:crypto';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
const outdir = path.join(root, 'dist/rocklet');

await rm(outdir, { recursive: true, force: true });
const common = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Every package stays external but yaml: its ES module build is bundled, since the CommonJS
  // build Node would load is ~70 files and costs ~20 ms per command that reads a config.yaml.
  external: Object.keys(pkg.dependencies).filter((name) => name !== 'yaml').flatMap((name) => [name, `${name}/*`]),
  alias: { yaml: './node_modules/yaml/browser/index.js' },
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'error',
};
// The CLI, pure ASCII (esbuild escapes what is not in strings, regexps and names; comments are
// rewritten below), so the launcher can read it as a one-byte string: a UTF-8 decode of the
// 1.7 MB was ~5 ms, latin1 ~1 ms.
// import() of a package or node: module becomes a lazy require(): the launcher compiles
// rocklet.cjs with vm.Script, and on Node 20 a script made from a code cache has no dynamic
// import() ("A dynamic import callback was not specified"). A virtual module per specifier,
// `module.exports = require(…)`, keeps it lazy: esbuild wraps it in __toESM, which gives the
// named exports and `default` as Node's import() of a CommonJS module does.
const externalPackages = new Set(common.external);
const lazyRequire = {
  name: 'lazy-require',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const pkgName = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      if (!args.path.startsWith('node:') && !externalPackages.has(pkgName)) return undefined;
      return { path: args.path, namespace: 'lazy-require' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
      resolveDir: root,
    }));
  },
};
const cli = await esbuild.build({
  ...common,
  plugins: [lazyRequire],
  entryPoints: { rocklet: 'dist/src/cli/main.js' },
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  charset: 'ascii',
  define: { 'import.meta.url': '__rockletModuleUrl' },
  banner: { js: '"use strict";var __rockletModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
});
const cliFile = path.join(outdir, 'rocklet.cjs');
// What charset: 'ascii' leaves are comments: each non-ASCII code point becomes as many '?' as it
// has UTF-16 units, so no column the source map records moves.
const cliText = await readFile(cliFile, 'utf8');
await writeFile(cliFile, cliText.replace(/[^\x00-\x7f]/gu, (ch) => '?'.repeat(ch.length)));
// The command table's groups (`image`, `pod`, …): the launcher names a cache file by a group's
// subcommand too (src/cli/code-cache.ts, commandWord).
const { ROOT_COMMAND } = await import(pathToFileURL(path.join(root, 'dist/src/cli/table/index.js')).href);
const commandGroups = ROOT_COMMAND.subcommands.filter((command) => command.subcommands !== undefined).map((command) => command.name);
const bundleId = createHash('sha256').update(await readFile(cliFile)).digest('hex').slice(0, 16);
// The launcher and the hash worker: CommonJS too (dist/rocklet/package.json says so), since an ES
// module entry costs Node ~6 ms more to start.
const launcher = await esbuild.build({
  ...common,
  entryPoints: { main: 'dist/src/cli/launch.js', 'hash-worker': 'dist/src/image/archive/hash-worker.js' },
  format: 'cjs',
  define: { ROCKLET_BUNDLE_ID: JSON.stringify(bundleId), ROCKLET_COMMAND_GROUPS: JSON.stringify(commandGroups), 'import.meta.url': '__rockletModuleUrl' },
  banner: { js: '"use strict";var __rockletModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
});
await writeFile(path.join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
const result = { warnings: [...cli.warnings, ...launcher.warnings], metafile: { outputs: { ...cli.metafile.outputs, ...launcher.metafile.outputs } } };

// Every warning fails the build. esbuild does not warn about every import it cannot follow,
// though: `import(x)` stays as written, `import(`./${x}.js`)` becomes a glob over the files it
// saw, and `require(x)` an ESM shim that throws. Code the bundle cannot see would fail only at
// run time (resolved from dist/rocklet/, not the module's own directory), so the output is
// checked for each of them too. createRequire(import.meta.url)('pkg') is none of them: it
// resolves a package, which node_modules serves the same from either directory.
const problems = await esbuild.formatMessages(result.warnings, { kind: 'warning' });
const UNFOLLOWED = [
  [/\bimport\(\s*(?!["'])/, 'import() of a computed specifier'],
  [/\bimport\(\s*["']/, 'import() left in rocklet.cjs (lazyRequire above handles packages and node: modules)', /rocklet\.cjs$/],
  [/\b__glob\(/, 'import() of a template string'],
  [/(?<![\w$.#])require\(\s*(?!["'])/, 'require() of a computed specifier'],
];
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => /\.c?js$/.test(file));
for (const [file] of outputs) {
  const lines = (await readFile(path.join(root, file), 'utf8')).split('\n');
  lines.forEach((line, index) => {
    for (const [pattern, what, only] of UNFOLLOWED) {
      if ((only === undefined || only.test(file)) && pattern.test(line)) problems.push(`${file}:${index + 1}: ${what} (see the .map for its source): ${line.trim()}\n`);
    }
  });
}
if (problems.length > 0) {
  process.stderr.write(problems.join(''));
  process.stderr.write(`bundle: ${problems.length} problem(s); the build treats esbuild warnings and unbundled imports as errors\n`);
  process.exit(1);
}

await chmod(path.join(outdir, 'main.js'), 0o755);
const bytes = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
process.stdout.write(`bundle: ${path.relative(root, outdir)}/ ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB of JavaScript\n`);
