#!/usr/bin/env node
// Bundles the tsc output into dist/rocklet/, the CLI users run (package.json "bin", install.sh).
// Usage: node scripts/bundle.mjs   (after tsc; `npm run build` does both)
//
// Why: Node resolves, stats, reads and links each ES module separately; from the tsc output
// `rocklet version` loads 23 of rocklet's files and `rocklet run` ~200, from the bundle 4 and 14.
// Code splitting keeps the command table's `load: () => import(...)` lazy: each is its own file.
//
// Layout: dist/rocklet/main.js (the executable, hashbang kept), hash-worker.js (the worker
// thread TarHasher starts with new URL('./hash-worker.js', import.meta.url), so it must sit
// beside the chunks), chunk-*.js and one file per lazily imported command, each with a linked
// .map that chains through tsc's maps back to src/*.ts (node --enable-source-maps uses them).
// node_modules stay external but yaml (below): the native addon is loaded with createRequire,
// and openpgp, tar-stream and dbus-next are imported lazily where they are needed.
import { chmod, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
const outdir = path.join(root, 'dist/rocklet');

await rm(outdir, { recursive: true, force: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { main: 'dist/src/cli/main.js', 'hash-worker': 'dist/src/image/archive/hash-worker.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Every package stays external but yaml: its ES module build is bundled (as a chunk of its
  // own, imported lazily by util/yaml-lib.ts), since the CommonJS build Node would load is ~70
  // files and costs ~20 ms per command that reads a config.yaml; the bundled chunk ~6 ms.
  external: Object.keys(pkg.dependencies).filter((name) => name !== 'yaml').flatMap((name) => [name, `${name}/*`]),
  alias: { yaml: './node_modules/yaml/browser/index.js' },
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'error',
});

// Every warning fails the build. esbuild does not warn about every import it cannot follow,
// though: `import(x)` stays as written, `import(`./${x}.js`)` becomes a glob over the files it
// saw, and `require(x)` an ESM shim that throws. Code the bundle cannot see would fail only at
// run time (resolved from dist/rocklet/, not the module's own directory), so the output is
// checked for each of them too. createRequire(import.meta.url)('pkg') is none of them: it
// resolves a package, which node_modules serves the same from either directory.
const problems = await esbuild.formatMessages(result.warnings, { kind: 'warning' });
const UNFOLLOWED = [
  [/\bimport\(\s*(?!["'])/, 'import() of a computed specifier'],
  [/\b__glob\(/, 'import() of a template string'],
  [/\b__require\b/, 'require() in an ES module'],
];
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
for (const [file] of outputs) {
  const lines = (await readFile(path.join(root, file), 'utf8')).split('\n');
  lines.forEach((line, index) => {
    for (const [pattern, what] of UNFOLLOWED) {
      if (pattern.test(line)) problems.push(`${file}:${index + 1}: ${what} (see the .map for its source): ${line.trim()}\n`);
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
