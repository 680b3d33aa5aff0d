/**
 * @module util/insecure-options — the security features an operator may switch off.
 *
 * Parsed once from `--insecure-options` (rkt's comma list) into a typed set that the
 * fetch and run paths consult. Secure by default: the empty set.
 */
import { usageError } from './errors.js';

export const INSECURE_FEATURES = ['image', 'tls', 'http', 'pubkey', 'capabilities', 'paths', 'seccomp'] as const;
export type InsecureFeature = (typeof INSECURE_FEATURES)[number];

const GROUPS: Readonly<Record<string, readonly InsecureFeature[]>> = {
  none: [],
  'all-fetch': ['image', 'tls', 'http', 'pubkey'],
  'all-run': ['capabilities', 'paths', 'seccomp'],
  all: INSECURE_FEATURES,
};

/** Every word `--insecure-options` accepts. */
export const INSECURE_OPTION_WORDS: readonly string[] = [...Object.keys(GROUPS), ...INSECURE_FEATURES];

export type InsecureOptions = ReadonlySet<InsecureFeature>;

function isFeature(word: string): word is InsecureFeature {
  return (INSECURE_FEATURES as readonly string[]).includes(word);
}

/** Parses `image,http` (or a group such as `all-fetch`). Unknown words are usage errors. */
export function parseInsecureOptions(text: string): InsecureOptions {
  const result = new Set<InsecureFeature>();
  for (const raw of text.split(',')) {
    const word = raw.trim().toLowerCase();
    if (word === '') continue;
    const group = GROUPS[word];
    if (group !== undefined) {
      for (const feature of group) result.add(feature);
    } else if (isFeature(word)) {
      result.add(word);
    } else {
      throw usageError('ERR_INSECURE_OPTION', `unknown --insecure-options value "${raw.trim()}"`, {
        hint: `valid values: ${INSECURE_OPTION_WORDS.join(', ')}`,
      });
    }
  }
  return result;
}
