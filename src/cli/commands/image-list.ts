/**
 * @module cli/commands/image-list — `rocklet image list`: the images in the store, with rkt's
 * columns `ID NAME SIZE IMPORT TIME LAST USED`. ID is `sha512-` + 12 hex digits (`--full`: all
 * 128), NAME is `name:version`, SIZE is the stored ACI plus its unpacked tree (`44MiB`; bytes
 * with `--full`), times are relative (absolute with `--full`). Default sort: import time,
 * ascending. `--format json` prints rkt's api/v1 ImageListEntry objects:
 * `[{"id","name","import_time","last_used_time","size"}]` (full IDs, times in nanoseconds).
 */
import type { ImageId, ImageRecord } from '../../image/index.js';
import { shortImageId } from '../../image/index.js';
import type { CommandHandler } from '../command.js';
import type { Listing } from '../render/listing.js';
import { readListingOptions, renderListing } from '../render/listing.js';
import { formatBytesIec } from '../render/size.js';
import { formatTimestamp, humanizeTime, unixNanos } from '../render/time.js';
import { expectArguments, imageDisplayName, openImageStore } from './image-common.js';

/** Hex digits of the short ID in the table (rkt: `sha512-` + 12). */
export const LIST_ID_HEX = 12;

/** One row of the listing. */
export interface ImageRow {
  readonly id: ImageId;
  readonly name: string;
  readonly sizeBytes: number;
  readonly importTime: Date;
  readonly lastUsed: Date;
}

/** The row of a stored image. */
export function imageRow(record: ImageRecord): ImageRow {
  return {
    id: record.id,
    name: imageDisplayName(record),
    sizeBytes: record.sizeBytes + record.treeSizeBytes,
    importTime: record.importTime,
    lastUsed: record.lastUsed,
  };
}

/** The columns of `image list`, in rkt's order. */
export const IMAGE_LISTING: Listing<ImageRow> = {
  columns: [
    { field: 'id', header: 'ID', cell: (row, style) => (style.full ? row.id : shortImageId(row.id, LIST_ID_HEX)), sortKey: (row) => row.id },
    { field: 'name', header: 'NAME', cell: (row) => row.name, sortKey: (row) => row.name },
    {
      field: 'size', header: 'SIZE', sortKey: (row) => row.sizeBytes,
      cell: (row, style) => (style.full ? String(row.sizeBytes) : formatBytesIec(row.sizeBytes)),
    },
    {
      field: 'importtime', header: 'IMPORT TIME', sortKey: (row) => row.importTime.getTime(),
      cell: (row, style) => (style.full ? formatTimestamp(row.importTime) : humanizeTime(row.importTime, style.now)),
    },
    {
      field: 'lastused', header: 'LAST USED', sortKey: (row) => row.lastUsed.getTime(),
      cell: (row, style) => (style.full ? formatTimestamp(row.lastUsed) : humanizeTime(row.lastUsed, style.now)),
    },
  ],
  defaultSort: ['importtime'],
  toJson: (row) => ({
    id: row.id,
    name: row.name,
    import_time: unixNanos(row.importTime),
    last_used_time: unixNanos(row.lastUsed),
    size: row.sizeBytes,
  }),
};

export const handler: CommandHandler = async (ctx) => {
  expectArguments(ctx, { names: [] });
  const options = readListingOptions(IMAGE_LISTING, ctx.flags, ctx.globals.format);
  const store = await openImageStore(ctx);
  const records = await store.list();
  ctx.out.stdout(renderListing(IMAGE_LISTING, records.map(imageRow), options));
  return 0;
};
