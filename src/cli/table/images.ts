/** @module cli/table/images — `rocklet image …` (the image store). */
import type { CommandSpec } from '../command.js';
import { FULL, NO_LEGEND, OVERWRITE, PRETTY_PRINT } from './shared-flags.js';

const ROOTFS_ONLY = { name: 'rootfs-only', kind: 'boolean', help: 'write only the root filesystem, not the manifest' } as const;

export const IMAGE_COMMAND: CommandSpec = {
  name: 'image', summary: 'operate on images in the local store', usage: 'COMMAND [flags]',
  subcommands: [
    {
      name: 'list', summary: 'list images in the store', usage: '[flags]',
      flags: [
        FULL, NO_LEGEND,
        { name: 'fields', kind: 'string', valueName: 'LIST', help: 'columns to show: id,name,size,importtime,lastused' },
        { name: 'sort', kind: 'string', valueName: 'LIST', help: 'columns to sort by' },
        { name: 'order', kind: 'string', valueName: 'ORDER', choices: ['asc', 'desc'], help: 'sort order' },
      ],
    },
    { name: 'rm', summary: 'remove images by ID prefix or name[:version]', usage: 'IMAGE...' },
    {
      name: 'gc', summary: 'remove unused images and unreferenced rendered trees', usage: '[flags]',
      flags: [{ name: 'grace-period', kind: 'string', valueName: 'DURATION', defaultText: '24h', help: 'remove images unused for longer than this' }],
    },
    { name: 'cat-manifest', summary: 'print an image manifest', usage: '[flags] IMAGE', flags: [PRETTY_PRINT] },
    { name: 'export', summary: 'write a stored image as an ACI', usage: '[flags] IMAGE OUT.aci', flags: [OVERWRITE] },
    { name: 'extract', summary: 'unpack an image (manifest and rootfs) into a directory', usage: '[flags] IMAGE DIR', flags: [ROOTFS_ONLY, OVERWRITE] },
    { name: 'render', summary: 'render an image with its dependencies, as apps see it', usage: '[flags] IMAGE DIR', flags: [ROOTFS_ONLY, OVERWRITE] },
    { name: 'verify', summary: 'check rendered trees of images and repair modified ones', usage: 'IMAGE...' },
    { name: 'build', summary: 'build an ACI from a directory with manifest and rootfs/', usage: '[flags] DIR OUT.aci', flags: [OVERWRITE] },
    { name: 'validate', summary: 'validate image manifests or ACIs', usage: 'FILE...' },
    { name: 'fetch', summary: 'alias of "rocklet fetch"', usage: '[flags] IMAGE...', hidden: true },
  ],
};
