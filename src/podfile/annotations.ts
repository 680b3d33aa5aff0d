/**
 * @module podfile/annotations — annotations under `rocklet.io/` carry settings Kubernetes has
 * no field for (formats.md §3.4). Unknown keys under the prefix are errors, so a typo never
 * silently disables a setting:
 *
 * - `rocklet.io/insecure-options`: comma list of per-pod opt-outs; `image` skips image
 *   signature verification for this pod's images.
 * - `rocklet.io/oom-score-adj`: an integer −1000…1000 for every container (appc
 *   `os/linux/oom-score-adj`).
 */
import type { DiagnosticSink } from './diagnostics.js';
import { didYouMean } from './diagnostics.js';
import type { MapEntry } from './node.js';
import { childPath } from './node.js';
import type { PodInsecureOption } from './types.js';
import { POD_INSECURE_OPTIONS } from './types.js';

export const ROCKLET_ANNOTATION_PREFIX = 'rocklet.io/';
export const ROCKLET_ANNOTATIONS = ['rocklet.io/insecure-options', 'rocklet.io/oom-score-adj'] as const;

/** Settings read from `rocklet.io/` annotations. */
export interface RockletAnnotations {
  readonly insecureOptions: readonly PodInsecureOption[];
  readonly oomScoreAdj?: number;
}

function readInsecureOptions(sink: DiagnosticSink, entry: MapEntry, value: string, path: string): PodInsecureOption[] {
  const result: PodInsecureOption[] = [];
  for (const raw of value.split(',')) {
    const word = raw.trim();
    if (word === '') continue;
    const option = POD_INSECURE_OPTIONS.find((known) => known === word);
    if (option === undefined) {
      sink.error(entry.value.pos, path, `"${word}" is not a per-pod insecure option (known: ${POD_INSECURE_OPTIONS.join(', ')})`);
    } else if (!result.includes(option)) result.push(option);
  }
  return result;
}

/** Reads the `rocklet.io/` annotations among `entries` (already type-checked as strings). */
export function readRockletAnnotations(
  sink: DiagnosticSink,
  entries: readonly { readonly entry: MapEntry; readonly value: string }[],
  parent: string,
): RockletAnnotations {
  let insecureOptions: PodInsecureOption[] = [];
  let oomScoreAdj: number | undefined;
  for (const { entry, value } of entries) {
    if (!entry.key.startsWith(ROCKLET_ANNOTATION_PREFIX)) continue;
    const path = childPath(parent, entry.key);
    switch (entry.key) {
      case 'rocklet.io/insecure-options':
        insecureOptions = readInsecureOptions(sink, entry, value, path);
        break;
      case 'rocklet.io/oom-score-adj': {
        const number = /^-?\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
        if (Number.isInteger(number) && number >= -1000 && number <= 1000) oomScoreAdj = number;
        else sink.error(entry.value.pos, path, `must be an integer from -1000 to 1000, got "${value}"`);
        break;
      }
      default:
        sink.error(entry.keyPos, path, `unknown rocklet annotation "${entry.key}"${didYouMean(entry.key, ROCKLET_ANNOTATIONS)} (known: ${ROCKLET_ANNOTATIONS.join(', ')})`);
    }
  }
  return { insecureOptions, ...(oomScoreAdj === undefined ? {} : { oomScoreAdj }) };
}
