#!/usr/bin/env node
/**
 * @module cli/launch — the `rocklet` executable of the bundle (dist/rocklet/main.js): compiles
 * the CLI (dist/rocklet/rocklet.cjs, one CommonJS file made from cli/main.ts by
 * scripts/bundle.mjs) with V8's code cache and runs it. code-cache.ts says why and where.
 *
 * Imports only node: modules: it runs before, and apart from, the bundle. scripts/bundle.mjs
 * replaces ROCKLET_BUNDLE_ID with the bundle's SHA-256, so a cache never outlives the code it
 * was made from (V8 itself only compares the source's length).
 */
import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { asksForHelp, codeCacheDir, codeCacheFileName, commandWord, homeDir, readCodeCache, writeCodeCache } from './code-cache.js';

declare const ROCKLET_BUNDLE_ID: string;
/** The commands that have subcommands (the command table's groups), also set by the build. */
declare const ROCKLET_COMMAND_GROUPS: readonly string[];

const bundle = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rocklet.cjs');

if (process.sourceMapsEnabled) {
  // node --enable-source-maps: Node maps stacks only for what its own loaders compiled.
  createRequire(bundle)(bundle);
} else {
  const argv = process.argv.slice(2);
  const euid = process.geteuid?.() ?? -1;
  const dir = euid < 0 ? undefined : codeCacheDir(process.env, euid, homeDir());
  const nodeOptions = `${process.execArgv.join(' ')} ${process.env['NODE_OPTIONS'] ?? ''}`;
  const cacheFile = codeCacheFileName(ROCKLET_BUNDLE_ID, process.versions.v8, commandWord(argv, ROCKLET_COMMAND_GROUPS), nodeOptions);
  const cachedData = dir === undefined ? undefined : readCodeCache(dir, cacheFile, euid);
  // Pure ASCII when the build made it: read as latin1, V8 gets a one-byte string without a
  // UTF-8 decode. CommonJS's own wrapper goes on the first line, so lines stay the bundle's.
  const bytes = readFileSync(bundle);
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    // No importModuleDynamically: the bundle has no dynamic imports (scripts/bundle.mjs makes
    // them lazy requires), which Node 20 cannot give a script compiled from a code cache.
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  if (dir !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    // At exit the cache holds every function this command compiled, not only the top level.
    // Only a run that did the command's work makes it: a cache V8 accepts is kept for good, and
    // one from `--help` or an early error would leave the real work to compile every time.
    process.once('exit', (code) => {
      if (code === 0 && !asksForHelp(argv)) writeCodeCache(dir, cacheFile, script.createCachedData(), euid);
    });
  }
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
}
