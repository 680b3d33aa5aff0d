/**
 * @module podfile/names — the name and path grammars of pod files (Kubernetes'
 * apimachinery validation.go, formats.md §3.1/§3.4), each returning the problem in words
 * (with the regex and length limit, formats.md §4 #11) or undefined when the value is fine.
 */
import { isIP } from 'node:net';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Why `value` is not a DNS-1123 label (≤ 63 of `[a-z0-9]([-a-z0-9]*[a-z0-9])?`). */
export function dnsLabelProblem(value: string): string | undefined {
  if (value === '') return 'must not be empty';
  const rule = 'a DNS-1123 label is lowercase letters, digits and "-", starts and ends with a letter or digit, matches [a-z0-9]([-a-z0-9]*[a-z0-9])? and has at most 63 characters';
  if (value.length > 63) return `"${value.slice(0, 20)}..." is ${value.length} characters long: ${rule}`;
  if (!DNS_LABEL.test(value)) return `"${value}" is not a valid DNS-1123 label: ${rule}`;
  return undefined;
}

/** Why `value` is not a DNS-1123 subdomain (≤ 253, dot-separated labels). */
export function dnsSubdomainProblem(value: string): string | undefined {
  if (value === '') return 'must not be empty';
  if (value.length > 253) return `"${value.slice(0, 20)}..." is ${value.length} characters long: a DNS name has at most 253`;
  if (!value.split('.').every((part) => DNS_LABEL.test(part))) {
    return `"${value}" is not a valid DNS-1123 subdomain: lowercase labels ([a-z0-9]([-a-z0-9]*[a-z0-9])?) joined by "."`;
  }
  return undefined;
}

/** Why `value` is not an IANA service name (Kubernetes port names). */
export function portNameProblem(value: string): string | undefined {
  const rule = 'a port name has at most 15 characters of a-z, 0-9 and "-", at least one letter, and no leading, trailing or doubled "-"';
  if (value.length === 0 || value.length > 15 || !/^[-a-z0-9]+$/.test(value) || !/[a-z]/.test(value)) return `"${value}" is not a valid port name: ${rule}`;
  if (value.startsWith('-') || value.endsWith('-') || value.includes('--')) return `"${value}" is not a valid port name: ${rule}`;
  return undefined;
}

/** Why `key` is not a Kubernetes label or annotation key (`[prefix/]name`). */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined) {
    const problem = dnsSubdomainProblem(prefix);
    if (problem !== undefined) return `key prefix ${problem}`;
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return `"${key}" is not a valid key: the name part must have 1-63 characters of A-Z, a-z, 0-9, "-", "_", "." and start and end with a letter or digit (an optional DNS prefix and "/" may come first)`;
  }
  return undefined;
}

/** Why `value` is not a Kubernetes label value (empty, or ≤ 63 like a key name). */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return `label value is ${value.length} characters long (the limit is 63)`;
  if (!LABEL_NAME.test(value)) return `"${value}" is not a valid label value: A-Z, a-z, 0-9, "-", "_", ".", starting and ending with a letter or digit`;
  return undefined;
}

/** Why `value` is not an environment variable name valid in appc and every Kubernetes version. */
export function envNameProblem(value: string): string | undefined {
  if (ENV_NAME.test(value)) return undefined;
  return `"${value}" is not a valid environment variable name: it must match ^[A-Za-z_][A-Za-z0-9_.-]*$`;
}

/** The normalised absolute path (no `//`, `.`, trailing `/`), or a problem. */
export function normaliseAbsolutePath(value: string): { path: string } | { problem: string } {
  if (!value.startsWith('/')) return { problem: `"${value}" is not an absolute path (it must start with "/")` };
  const parts = value.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return { problem: `"${value}" must not contain ".." components` };
  if (value.includes('\0')) return { problem: 'a path must not contain NUL' };
  return { path: `/${parts.join('/')}` };
}

/** Why `value` is not an IPv4 or IPv6 address (leading zeros refused, as Kubernetes ≥ 1.30 does). */
export function ipProblem(value: string): string | undefined {
  return isIP(value) === 0 ? `"${value}" is not a valid IP address` : undefined;
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** Why `key` is not a ConfigMap/Secret key (Kubernetes' IsConfigMapKey: a file name of `[-._a-zA-Z0-9]`, ≤ 253, not `.` or `..`). */
export function configKeyProblem(key: string): string | undefined {
  const rule = 'a key is a valid file name: 1-253 characters of A-Z, a-z, 0-9, "-", "_" and ".", and not "." or ".."';
  if (key === '' || key.length > 253 || !CONFIG_KEY.test(key) || key === '.' || key === '..') return `"${key}" is not a valid key: ${rule}`;
  return undefined;
}

/** Why `value` is not a relative file path inside a volume (no leading "/", no ".." component, not empty). */
export function volumeFilePathProblem(value: string): string | undefined {
  if (value === '') return 'must not be empty';
  if (value.startsWith('/')) return `"${value}" must be a relative path (no leading "/")`;
  if (value.split('/').includes('..')) return `"${value}" must not contain ".." components`;
  if (value.includes('\0')) return 'a path must not contain NUL';
  return undefined;
}
