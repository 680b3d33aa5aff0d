/**
 * @module util/yaml-lib — the `yaml` package, loaded once per process, on first use.
 *
 * The bundle users run (scripts/bundle.mjs) carries yaml's ES module build as a chunk of its
 * own, which `import()` loads in ~6 ms; the package's CommonJS build, which `require` gets, is
 * ~70 modules and ~20 ms, paid by every command that reads a config.yaml. Async callers use
 * {@link loadYaml}. The pod-file parsers are synchronous and use {@link yamlLib}: it returns
 * the copy loadYaml() loaded, or requires the package when nothing loaded it yet. Both go
 * through one variable, so a process never holds two copies.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

/** The `yaml` package, loaded by the first call (the bundle's ES module chunk). */
export async function loadYaml(): Promise<typeof Yaml> {
  const loaded = lib ?? (await import('yaml'));
  lib ??= loaded;
  return lib;
}

/** The `yaml` package for synchronous callers: what loadYaml() loaded, else `require('yaml')`. */
export function yamlLib(): typeof Yaml {
  lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return lib;
}
