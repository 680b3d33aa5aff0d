/**
 * @module fetch/image-request — an image asked for by name: the labels the user gave plus
 * rkt's defaults (`os=linux`, `arch=` the host's), and whether an image answers it. A label
 * the user gave must be present with the same value; a defaulted os/arch may be absent from
 * the image (an arch-independent image) but must not differ.
 */
import { verificationFailed } from '../../util/index.js';
import { hostArch } from '../format/aci/ac-types.js';
import type { AppString } from '../format/aci/app-string.js';
import type { ImageRecord } from '../store/image-record.js';
import type { Label } from '../format/aci/manifest-labels.js';

/** A name request with its explicit and defaulted labels. */
export interface ImageRequest {
  readonly name: string;
  readonly labels: readonly Label[];
  readonly defaults: readonly Label[];
}

/** The request for a parsed `name[:version][,label=value…]`. */
export function imageRequest(app: AppString): ImageRequest {
  const given = new Set(app.labels.map((label) => label.name as string));
  const arch = hostArch();
  const defaults: Label[] = [];
  if (!given.has('os')) defaults.push({ name: 'os', value: 'linux' } as Label);
  if (!given.has('arch') && arch !== undefined) defaults.push({ name: 'arch', value: arch } as Label);
  return { name: app.name, labels: app.labels, defaults };
}

/** The labels discovery templates see: given, defaults, and `version=latest` when none was given. */
export function templateLabels(request: ImageRequest): Label[] {
  const all = [...request.labels, ...request.defaults];
  if (!all.some((label) => label.name === 'version')) all.push({ name: 'version', value: 'latest' } as Label);
  return all;
}

/** `name:version,os=…` as the user would write the request (for messages). */
export function describeRequest(request: ImageRequest): string {
  const version = request.labels.find((label) => label.name === 'version');
  const others = [...request.labels, ...request.defaults].filter((label) => label.name !== 'version');
  return `${request.name}${version === undefined ? '' : `:${version.value}`}${others.map((label) => `,${label.name}=${label.value}`).join('')}`;
}

/** Why an image with `name` and `labels` does not answer `request`, or undefined when it does. */
export function requestMismatch(request: ImageRequest, name: string, labels: readonly Label[]): string | undefined {
  if (name !== request.name) return `its name is "${name}", not the requested "${request.name}"`;
  const valueOf = (wanted: string): string | undefined => labels.find((label) => label.name === wanted)?.value;
  for (const wanted of request.labels) {
    const value = valueOf(wanted.name);
    if (value === undefined) return `requested label "${wanted.name}" is not provided by the image manifest`;
    if (value !== wanted.value) return `requested value for label "${wanted.name}" ("${wanted.value}") differs from the image's "${value}"`;
  }
  for (const wanted of request.defaults) {
    const value = valueOf(wanted.name);
    if (value !== undefined && value !== wanted.value) {
      return `label "${wanted.name}" of the image is "${value}", but this host needs "${wanted.value}" (give ,${wanted.name}=${value} to ask for it)`;
    }
  }
  return undefined;
}

/** Throw `ERR_IMAGE_MISMATCH` unless the fetched image answers the request. */
export function checkRequest(request: ImageRequest, name: string, labels: readonly Label[], source: string): void {
  const why = requestMismatch(request, name, labels);
  if (why === undefined) return;
  throw verificationFailed('ERR_IMAGE_MISMATCH', `the image at ${source} does not match the request "${describeRequest(request)}": ${why}`, {
    hint: 'the discovery templates of the server point at the wrong image; ask for the labels the image has, or tell the server operator',
  });
}

/** The newest stored image answering the request. */
export function findInStore(records: readonly ImageRecord[], request: ImageRequest): ImageRecord | undefined {
  return records
    .filter((record) => requestMismatch(request, record.name, record.labels) === undefined)
    .sort((a, b) => b.importTime.getTime() - a.importTime.getTime())[0];
}
