/**
 * @module registry/challenge — `WWW-Authenticate` challenges (RFC 7235 / 6750 syntax): one header
 * may carry several, scheme and parameter names are case-insensitive, values may be quoted
 * with backslash escapes. Pure: no I/O.
 */

/** One challenge: `Bearer realm="…",service="…",scope="…"` → scheme `bearer` and its parameters. */
export interface Challenge {
  /** Lowercase: `bearer`, `basic`. */
  readonly scheme: string;
  /** Lowercase names. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/** Parses every challenge of the header values (a header may also repeat). */
export function parseChallenges(header: string | readonly string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const values = typeof header === 'string' ? [header] : header;
  return values.flatMap(parseOne);
}

function parseOne(header: string): Challenge[] {
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  let rest = header;
  const skip = (pattern: RegExp): void => {
    rest = rest.replace(pattern, '');
  };
  while (true) {
    skip(/^[\s,]+/);
    const word = TOKEN.exec(rest)?.[0];
    if (word === undefined) break;
    rest = rest.slice(word.length);
    skip(/^\s*/);
    const current = challenges.at(-1);
    if (rest.startsWith('=') && current !== undefined) {
      rest = rest.slice(1);
      skip(/^\s*/);
      current.params[word.toLowerCase()] = readValue();
      continue;
    }
    challenges.push({ scheme: word.toLowerCase(), params: {} });
  }
  return challenges;

  function readValue(): string {
    if (!rest.startsWith('"')) {
      const value = /^[^\s,]*/.exec(rest)?.[0] ?? '';
      rest = rest.slice(value.length);
      return value;
    }
    let value = '';
    let index = 1;
    for (; index < rest.length && rest[index] !== '"'; index++) {
      if (rest[index] === '\\' && index + 1 < rest.length) index++;
      value += rest[index];
    }
    rest = rest.slice(index + 1);
    return value;
  }
}

/** The first challenge of `scheme` (lowercase), if any. */
export function findChallenge(challenges: readonly Challenge[], scheme: string): Challenge | undefined {
  return challenges.find((challenge) => challenge.scheme === scheme);
}
