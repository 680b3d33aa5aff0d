/**
 * @module cli/commands/image-list — `rocklet image list`: the images in the store, with rkt's
 * columns `ID NAME SIZE IMPORT TIME LAST USED`. ID is `sha512-` + 12 hex digits (`--full`: all
 * 128), NAME is `name:version`, SIZE is the stored ACI plus its unpacked tree (`44MiB`; bytes
 * with `--full`), times are relative (absolute with `--full`). Default sort: import time,
 * ascending. `--format json` prints rkt's api/v1 ImageListEntry objects:
 * `[{"id","name","import_time","last_used_time","size"}]` (full IDs, times in nanoseconds).
 * OCI/Docker images (ID `sha256-` + manifest digest) are named by the reference they were
 * fetched as; `--fields` adds `digest`, `references` and `verified` (how the signature policy
 * accepted them), which their JSON entries always carry.
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
  /** OCI/Docker images: the references it was fetched as, its manifest digest, how it was verified. */
  readonly references: readonly string[];
  readonly digest: string | undefined;
  readonly verification: string | undefined;
}

/** The row of a stored image. */
export function imageRow(record: ImageRecord): ImageRow {
  return {
    id: record.id,
    name: record.oci?.references[0] ?? imageDisplayName(record),
    references: record.oci?.references ?? [],
    digest: record.oci?.manifestDigest,
    verification: record.oci?.verification,
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
    { field: 'digest', header: 'DIGEST', cell: (row) => row.digest ?? '-', sortKey: (row) => row.digest ?? '' },
    { field: 'references', header: 'REFERENCES', cell: (row) => (row.references.length === 0 ? '-' : row.references.join(',')) },
    { field: 'verified', header: 'VERIFIED', cell: (row) => row.verification ?? '-' },
  ],
  // rkt's columns; the OCI ones on request (--fields=…,digest,references,verified).
  defaultFields: ['id', 'name', 'size', 'importtime', 'lastused'],
  defaultSort: ['importtime'],
  toJson: (row) => ({
    id: row.id,
    name: row.name,
    import_time: unixNanos(row.importTime),
    last_used_time: unixNanos(row.lastUsed),
    size: row.sizeBytes,
    ...(row.digest === undefined ? {} : { digest: row.digest, references: row.references, verification: row.verification }),
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
