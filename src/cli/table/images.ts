/** @module cli/table/images — `rocklet image …` (the image store). */
import type { CommandSpec } from '../command.js';
import { FETCH_FLAGS } from './pods.js';
import { FULL, NO_LEGEND, OVERWRITE, PRETTY_PRINT } from './shared-flags.js';

const ROOTFS_ONLY = { name: 'rootfs-only', kind: 'boolean', help: 'write only the root filesystem, not the manifest' } as const;

export const IMAGE_COMMAND: CommandSpec = {
  name: 'image', summary: 'operate on images in the local store', usage: 'COMMAND [flags]',
  subcommands: [
    {
      name: 'list', summary: 'list images in the store', usage: '[flags]',
      description: 'Columns: ID NAME SIZE IMPORT TIME LAST USED. --format json prints [{id, name, import_time, last_used_time, size}]\n'
        + '(full IDs, times in nanoseconds since the epoch, sizes in bytes).',
      flags: [
        FULL, NO_LEGEND,
        { name: 'fields', kind: 'list', valueName: 'LIST', defaultText: 'id,name,size,importtime,lastused', help: 'comma-separated columns to show: id, name, size, importtime, lastused' },
        { name: 'sort', kind: 'list', valueName: 'LIST', defaultText: 'importtime', help: 'comma-separated columns to sort by: id, name, size, importtime, lastused' },
        { name: 'order', kind: 'string', valueName: 'ORDER', choices: ['asc', 'desc'], defaultText: 'asc', help: 'sort order: asc or desc' },
      ],
      load: () => import('../commands/image-list.js'),
    },
    {
      name: 'rm', summary: 'remove images by ID prefix or name[:version]', usage: 'IMAGE...',
      description: 'IMAGE is an ID prefix (sha512- and at least 2 hex digits, or the bare hex) or name[:version][,label=value...].\n'
        + 'Rendered trees stay for the pods using them until "rocklet image gc".',
      load: () => import('../commands/image-rm.js'),
    },
    {
      name: 'gc', summary: 'remove unused images and unreferenced rendered trees', usage: '[flags]',
      flags: [{ name: 'grace-period', kind: 'string', valueName: 'DURATION', defaultText: '24h', help: 'remove images unused for longer than this (0s: all not used by running pods)' }],
      load: () => import('../commands/image-gc.js'),
    },
    { name: 'cat-manifest', summary: 'print an image manifest', usage: '[flags] IMAGE', flags: [PRETTY_PRINT], load: () => import('../commands/image-cat-manifest.js') },
    {
      name: 'export', summary: 'write a stored image as an ACI (an OCI/Docker image: an OCI layout directory)', usage: '[flags] IMAGE OUT.aci|OUT-DIR', flags: [OVERWRITE],
      description: 'The ACI is written uncompressed, byte-identical to an uncompressed import.',
      load: () => import('../commands/image-export.js'),
    },
    {
      name: 'extract', summary: 'unpack an image (manifest and rootfs) into a directory', usage: '[flags] IMAGE DIR', flags: [ROOTFS_ONLY, OVERWRITE],
      load: () => import('../commands/image-extract.js'),
    },
    {
      name: 'render', summary: 'render an image with its dependencies, as apps see it', usage: '[flags] IMAGE DIR', flags: [ROOTFS_ONLY, OVERWRITE],
      load: () => import('../commands/image-render.js'),
    },
    { name: 'verify', summary: 'check rendered trees of images and repair modified ones', usage: 'IMAGE...', load: () => import('../commands/image-verify.js') },
    {
      name: 'build', summary: 'build an ACI from a directory with manifest and rootfs/', usage: '[flags] DIR OUT.aci',
      description: 'Validates the manifest first; prints the image ID of the new ACI.',
      flags: [OVERWRITE, { name: 'compression', kind: 'string', valueName: 'KIND', choices: ['gzip', 'none'], defaultText: 'gzip', help: 'compression of the ACI: gzip or none' }],
      load: () => import('../commands/image-build.js'),
    },
    {
      name: 'validate', summary: 'validate image manifests or ACIs', usage: 'FILE...',
      description: 'Prints "FILE: ok" or every problem as FILE: field.path: message.\n'
        + 'Exit codes: 0 when every file is valid, 1 when any is invalid, 2 for usage errors, 254 when rocklet fails.',
      load: () => import('../commands/image-validate.js'),
    },
    { name: 'fetch', summary: 'alias of "rocklet fetch"', usage: '[flags] IMAGE...', hidden: true, flags: FETCH_FLAGS, load: () => import('../commands/fetch.js') },
  ],
};
