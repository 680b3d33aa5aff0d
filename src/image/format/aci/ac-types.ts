/**
 * @module ac-types — appc's shared value types (formats.md §1.2): AC Identifier, AC Name,
 * AC Version (SemVer 2.0.0), and the os/arch label table. We follow the spec's regular
 * expressions, which are stricter than appc's Go code (`a--b` is not an identifier here).
 */
import type { Problems } from './problems.js';

declare const acIdentifierBrand: unique symbol;
declare const acNameBrand: unique symbol;
/** `^[a-z0-9]+([-._~/][a-z0-9]+)*$` (plus `/~user`): image, label, annotation and isolator names. */
export type ACIdentifier = string & { readonly [acIdentifierBrand]: true };
/** `^[a-z0-9]+(-[a-z0-9]+)*$`: app, volume, mount point and port names. */
export type ACName = string & { readonly [acNameBrand]: true };

// The spec's regex is `^[a-z0-9]+([-._~/][a-z0-9]+)*$`, yet its own example list (and appc's
// tests, formats.md §1.8 #1) has `example.com/~user/app_v1`. We take the regex and allow that
// one URL convention on top: `/~` starts a user path segment.
const AC_IDENTIFIER = /^[a-z0-9]+(?:[-._~/][a-z0-9]+|\/~[a-z0-9]+)*$/;
const AC_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** The appc spec version this implementation follows; newer manifests are refused. */
export const AC_VERSION_SUPPORTED = '0.8.11';

export function isACIdentifier(value: string): value is ACIdentifier {
  return AC_IDENTIFIER.test(value);
}

export function isACName(value: string): value is ACName {
  return AC_NAME.test(value);
}

/** Why `value` is not an AC Identifier (for messages). */
export function acIdentifierProblem(value: string): string {
  if (value === '') return 'must not be empty';
  if (/[A-Z]/.test(value)) return `"${value}" is not an AC Identifier: uppercase letters are not allowed`;
  if (/[^a-z0-9\-._~/]/.test(value)) {
    return `"${value}" is not an AC Identifier: only a-z, 0-9 and the separators - . _ ~ / are allowed`;
  }
  return `"${value}" is not an AC Identifier: must start and end with a letter or digit, with single separators between`;
}

/** Why `value` is not an AC Name (for messages). */
export function acNameProblem(value: string): string {
  if (value === '') return 'must not be empty';
  return `"${value}" is not an AC Name: only a-z, 0-9 and single dashes between them are allowed`;
}

/** Check an AC Identifier at `path`; records a problem and returns undefined when invalid. */
export function checkACIdentifier(problems: Problems, path: string, value: string): ACIdentifier | undefined {
  if (isACIdentifier(value)) return value;
  problems.add(path, acIdentifierProblem(value));
  return undefined;
}

/** Check an AC Name at `path`; records a problem and returns undefined when invalid. */
export function checkACName(problems: Problems, path: string, value: string): ACName | undefined {
  if (isACName(value)) return value;
  problems.add(path, acNameProblem(value));
  return undefined;
}

/** Parse SemVer 2.0.0 into [major, minor, patch], or undefined when not SemVer. */
export function parseSemver(value: string): [number, number, number] | undefined {
  const match = SEMVER.exec(value);
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** Check an `acVersion`: SemVer, not 0.0.0, not newer than {@link AC_VERSION_SUPPORTED}. */
export function checkAcVersion(problems: Problems, path: string, value: string): void {
  const version = parseSemver(value);
  if (version === undefined) {
    problems.add(path, `"${value}" is not a SemVer 2.0.0 version (like "0.8.11")`);
    return;
  }
  if (version.every((part) => part === 0)) {
    problems.add(path, 'must not be 0.0.0');
    return;
  }
  const supported = parseSemver(AC_VERSION_SUPPORTED) ?? [0, 0, 0];
  if (compareTriples(version, supported) > 0) {
    problems.add(path, `version ${value} is newer than the supported appc spec version ${AC_VERSION_SUPPORTED}`);
  }
}

function compareTriples(a: readonly number[], b: readonly number[]): number {
  for (let index = 0; index < 3; index += 1) {
    const diff = (a[index] ?? 0) - (b[index] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Operating systems rocklet runs images for (the appc table also knows freebsd and darwin). */
export const SUPPORTED_OS = ['linux'] as const;

/** appc's `ValidOSArch` (schema/types/labels.go) — the code's list, not the older prose list. */
export const VALID_OS_ARCH: Readonly<Record<string, readonly string[]>> = {
  linux: ['amd64', 'i386', 'aarch64', 'aarch64_be', 'armv6l', 'armv7l', 'armv7b', 'ppc64', 'ppc64le', 's390x'],
  freebsd: ['amd64', 'i386', 'arm'],
  darwin: ['x86_64', 'i386'],
};

/** The appc `arch` label value of the machine Node runs on, if it has one. */
export function hostArch(): string | undefined {
  const map: Readonly<Record<string, string>> = {
    x64: 'amd64',
    ia32: 'i386',
    arm64: 'aarch64',
    ppc64: 'ppc64le',
    s390x: 's390x',
  };
  return map[process.arch];
}
