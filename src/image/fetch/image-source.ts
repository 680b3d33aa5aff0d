/**
 * @module fetch/image-source — what an IMAGE argument names, decided once (rkt's
 * `guessAppType`): an image ID (the store only), a URL (`https://`, `http://`, `file://`), a
 * local file (absolute, `./`-relative, existing, or ending in `.aci`), else an appc image
 * name `name[:version][,label=value…]`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidArgument } from '../../util/index.js';
import type { DockerReference } from '../format/oci/docker-reference.js';
import type { ArchiveSource } from './archive-fetcher.js';
import { parseArchiveSource } from './archive-fetcher.js';
import { parseDockerReference } from '../format/oci/docker-reference.js';
import type { AppString } from '../format/aci/app-string.js';
import { parseAppString } from '../format/aci/app-string.js';
import { hasImageIdPrefix, looksLikeImageId } from '../format/aci/image-id.js';

/** A classified IMAGE argument. */
export type ImageSource =
  | { readonly kind: 'id'; readonly text: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'url'; readonly url: URL }
  | { readonly kind: 'name'; readonly app: AppString; readonly text: string }
  | { readonly kind: 'docker'; readonly reference: DockerReference }
  | { readonly kind: 'archive'; readonly source: ArchiveSource };

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Classify `text`; `cwd` resolves relative paths. Throws `ERR_INVALID_IMAGE_NAME`, `ERR_FETCH_UNSUPPORTED_SCHEME`. */
export function classifyImage(text: string, cwd: string = process.cwd()): ImageSource {
  if (text === '') throw invalidArgument('ERR_INVALID_IMAGE_NAME', 'the image argument is empty');
  if (hasImageIdPrefix(text) && looksLikeImageId(text)) return { kind: 'id', text };
  const archive = parseArchiveSource(text, cwd);
  if (archive !== undefined) return { kind: 'archive', source: archive };
  const scheme = SCHEME.exec(text)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    switch (scheme) {
      case 'https':
      case 'http':
        return { kind: 'url', url: new URL(text) };
      case 'file':
        return { kind: 'file', path: fileURLToPath(text) };
      case 'docker':
        return { kind: 'docker', reference: parseDockerReference(text.slice('docker://'.length)) };
      default:
        throw invalidArgument('ERR_FETCH_UNSUPPORTED_SCHEME', `cannot fetch "${text}": the ${scheme}:// scheme is not supported`, {
          hint: 'give a file path, an https:// URL, docker://REFERENCE or an appc image name (example.com/app:1.0)',
        });
    }
  }
  const looksLikePath = path.isAbsolute(text) || text.startsWith('./') || text.startsWith('../') || text.endsWith('.aci');
  if (looksLikePath || existsSync(path.resolve(cwd, text))) return { kind: 'file', path: path.resolve(cwd, text) };
  return { kind: 'name', app: parseAppString(text), text };
}
