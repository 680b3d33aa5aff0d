/**
 * @module cli/commands/image-common — what the `rocklet image …` commands share: opening the
 * store under `--dir`, checking the number of arguments, and resolving an IMAGE argument.
 *
 * IMAGE is an ID prefix (`sha512-` + at least 2 hex digits), the bare hex of one (`3f2a91`), or
 * `name[:version][,label=value…]`. Bare hex that is also the exact name of a stored image means
 * that image; otherwise it is an ID prefix.
 */
import type { ImageRecord } from '../../image/index.js';
import { IMAGE_ID_PREFIX, ImageStore, MIN_ID_PREFIX_HEX, labelValue } from '../../image/index.js';
import { hasErrorCode, notFound, usageError } from '../../util/index.js';
import type { CommandContext } from '../command.js';

/** Open (creating when needed) the image store of `--dir`. */
export function openImageStore(ctx: CommandContext): Promise<ImageStore> {
  return ImageStore.open(ctx.globals.dir);
}

/** Arguments a command takes: names for messages, e.g. `['IMAGE', 'DIR']`; `variadic` = the last repeats. */
export interface ArgumentSpec {
  readonly names: readonly string[];
  readonly variadic?: boolean;
}

/**
 * Check the positional arguments of `ctx` against `spec`. Throws `ERR_MISSING_ARGUMENT` or
 * `ERR_TOO_MANY_ARGUMENTS` (usage errors, exit 2) naming what is expected.
 */
export function expectArguments(ctx: CommandContext, spec: ArgumentSpec): readonly string[] {
  const usage = `rocklet ${ctx.command} ${spec.names.join(' ')}${spec.variadic === true ? '...' : ''}`;
  const missing = spec.names[ctx.args.length];
  if (missing !== undefined) {
    throw usageError('ERR_MISSING_ARGUMENT', `missing ${missing} argument`, { hint: `usage: ${usage}` });
  }
  if (spec.variadic !== true && ctx.args.length > spec.names.length) {
    throw usageError('ERR_TOO_MANY_ARGUMENTS', `too many arguments: expected ${spec.names.length}, got ${ctx.args.length}`, { hint: `usage: ${usage}` });
  }
  return ctx.args;
}

const BARE_HEX = /^[0-9a-f]+$/;
const MAX_ID_HEX = 128;

/**
 * The stored image an IMAGE argument names. Errors (each its own code): `ERR_IMAGE_ID_TOO_SHORT`,
 * `ERR_IMAGE_ID_AMBIGUOUS`, `ERR_IMAGE_NOT_FOUND`, `ERR_INVALID_IMAGE_ID`,
 * `ERR_INVALID_IMAGE_NAME`.
 */
export async function resolveImage(store: ImageStore, text: string): Promise<ImageRecord> {
  if (!BARE_HEX.test(text) || text.length < MIN_ID_PREFIX_HEX || text.length > MAX_ID_HEX) return store.resolve(text);
  const named = await store.findByName(text);
  if (named !== undefined) return named;
  try {
    return await store.resolve(`${IMAGE_ID_PREFIX}${text}`);
  } catch (error) {
    if (!hasErrorCode(error, 'ERR_IMAGE_NOT_FOUND')) throw error;
    throw notFound('ERR_IMAGE_NOT_FOUND', `no image IDs found matching "${text}" (and no image is named so)`, {
      hint: 'list images with "rocklet image list"',
      cause: error,
    });
  }
}

/** `name:version` when the image has a version label, else its name (rkt's NAME column). */
export function imageDisplayName(record: ImageRecord): string {
  const version = labelValue(record.labels, 'version');
  return version === undefined ? record.name : `${record.name}:${version}`;
}
