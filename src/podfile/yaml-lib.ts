/**
 * @module podfile/yaml-lib — the `yaml` package, loaded on first use. It is ~70 CommonJS
 * modules (≈100 ms to load on a busy host), and everything that imports the pod layer
 * (`rocklet run IMAGE`, `pod up`, `app prepare` …) imports this layer without reading YAML.
 * `require` keeps the parsers synchronous; it is the same module instance an `import` gets.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

/** The `yaml` package (loaded by the first call). */
export function yamlLib(): typeof Yaml {
  lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return lib;
}
