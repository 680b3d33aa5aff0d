/** @module cli/render/json — `--format json` (one line) and `json-pretty` (two-space indent). */

/** The JSON output formats every listing accepts. */
export type JsonFormat = 'json' | 'json-pretty';

/** True when `format` asks for JSON. */
export function isJsonFormat(format: string | undefined): format is JsonFormat {
  return format === 'json' || format === 'json-pretty';
}

/** `value` as JSON text ending in a newline: one line for `json`, indented for `json-pretty`. */
export function formatJson(value: unknown, format: JsonFormat): string {
  return `${JSON.stringify(value, null, format === 'json-pretty' ? 2 : undefined)}\n`;
}
