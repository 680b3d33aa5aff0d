/**
 * @module net/hostname — host and domain names as the pod's /etc files and sethostname accept them.
 *
 * RFC 1123: dot-separated labels of letters, digits and inner hyphens, each 1-63 characters,
 * 253 in all. A pod's own hostname is also limited to 64 characters by the kernel.
 */
import { invalidArgument } from '../util/index.js';

declare const hostnameBrand: unique symbol;
/** A validated RFC 1123 host or domain name. */
export type Hostname = string & { readonly [hostnameBrand]: true };

const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** The kernel's HOST_NAME_MAX. */
export const POD_HOSTNAME_MAX_LENGTH = 64;

/** True when `text` is an RFC 1123 name (a trailing dot, as in `example.com.`, is allowed). */
export function isHostname(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => LABEL.test(label));
}

/** Parse a host or domain name; `what` names the field in the error. */
export function parseHostname(text: string, what = 'hostname'): Hostname {
  if (!isHostname(text)) {
    throw invalidArgument('ERR_NET_INVALID_HOSTNAME', `${what} ${JSON.stringify(text)} is not a valid host name`, {
      hint: 'use dot-separated labels of letters, digits and inner hyphens (each 1-63 characters)',
    });
  }
  return text as Hostname;
}

/** Parse the pod's own hostname (`--hostname`): a host name of at most 64 characters, no trailing dot. */
export function parsePodHostname(text: string): Hostname {
  const name = parseHostname(text, 'pod hostname');
  if (text.length > POD_HOSTNAME_MAX_LENGTH || text.endsWith('.')) {
    throw invalidArgument('ERR_NET_INVALID_HOSTNAME', `pod hostname ${JSON.stringify(text)} must be at most ${POD_HOSTNAME_MAX_LENGTH} characters without a trailing dot`);
  }
  return name;
}

/** rkt's default pod hostname: `rocklet-<uuid>`. */
export function defaultPodHostname(podUuid: string): Hostname {
  return parsePodHostname(`rocklet-${podUuid}`);
}
