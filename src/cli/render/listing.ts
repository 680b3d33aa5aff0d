/**
 * @module cli/render/listing — rkt's listing flags for any table of rows: `--fields` (which
 * columns, in which order), `--sort` (one or more keys) and `--order`, `--full` (long form of
 * IDs, sizes and times), `--no-legend`, and the global `--format json|json-pretty`.
 *
 * A command describes its rows once as a {@link Listing}; {@link readListingOptions} turns the
 * flags into checked options (unknown or repeated names are usage errors that list the valid
 * ones) and {@link renderListing} prints. JSON output is sorted like the table but always has
 * every field (rkt's choice: `--fields` shapes the table only), with no legend.
 */
import { usageError } from '../../util/index.js';
import type { ParsedFlags } from '../flags.js';
import type { OutputFormat } from '../globals.js';
import { formatJson, isJsonFormat } from './json.js';
import { formatColumns } from './table.js';

export const SORT_ORDERS = ['asc', 'desc'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

/** How a cell is drawn: `full` for `--full`; `now` anchors relative times. */
export interface CellStyle {
  readonly full: boolean;
  readonly now: Date;
}

/** One column of a listing. */
export interface ListColumn<Row> {
  /** Its name for `--fields` and `--sort`: lowercase, no spaces (`importtime`). */
  readonly field: string;
  /** Its legend (`IMPORT TIME`). */
  readonly header: string;
  readonly cell: (row: Row, style: CellStyle) => string;
  /** Present when the column can be a `--sort` key. Strings compare by code unit. */
  readonly sortKey?: (row: Row) => string | number;
}

/** What a command lists: its columns, default sort and JSON form of a row. */
export interface Listing<Row> {
  readonly columns: readonly ListColumn<Row>[];
  /** Columns shown without `--fields` (default: all, in order). */
  readonly defaultFields?: readonly string[];
  /** Sort keys without `--sort` (default: none, rows keep their order). */
  readonly defaultSort?: readonly string[];
  readonly toJson: (row: Row) => unknown;
}

/** Checked listing options. */
export interface ListingOptions {
  readonly fields: readonly string[];
  readonly sort: readonly string[];
  readonly order: SortOrder;
  readonly full: boolean;
  readonly legend: boolean;
  readonly format: OutputFormat;
  readonly now: Date;
}

/** The names given to a list flag (`--fields=a,b --fields c`), lowercased, checked against `valid`. */
export function parseNameList(flag: string, given: readonly string[], valid: readonly string[]): string[] {
  const names: string[] = [];
  const validText = valid.join(', ');
  for (const item of given.flatMap((value) => value.split(','))) {
    const name = item.trim().toLowerCase();
    if (name === '') throw usageError('ERR_FLAG_VALUE', `empty name in --${flag}: expected a comma-separated list of ${validText}`);
    if (!valid.includes(name)) throw usageError('ERR_FLAG_VALUE', `unknown field "${item.trim()}" in --${flag}: valid fields are ${validText}`);
    if (names.includes(name)) throw usageError('ERR_FLAG_VALUE', `field "${name}" is given twice in --${flag}`);
    names.push(name);
  }
  return names;
}

function isSortOrder(value: string): value is SortOrder {
  return (SORT_ORDERS as readonly string[]).includes(value);
}

/**
 * Read `--fields`, `--sort`, `--order`, `--full` and `--no-legend` (absent flags take the
 * listing's defaults) plus the global format. Throws `ERR_FLAG_VALUE` usage errors.
 */
export function readListingOptions<Row>(
  listing: Listing<Row>,
  flags: ParsedFlags,
  format: OutputFormat | undefined,
  now: Date = new Date(),
): ListingOptions {
  const allFields = listing.columns.map((column) => column.field);
  const sortable = listing.columns.filter((column) => column.sortKey !== undefined).map((column) => column.field);
  const fields = flags.given('fields') ? parseNameList('fields', flags.list('fields'), allFields) : [...(listing.defaultFields ?? allFields)];
  const sort = flags.given('sort') ? parseNameList('sort', flags.list('sort'), sortable) : [...(listing.defaultSort ?? [])];
  const orderText = (flags.string('order') ?? 'asc').toLowerCase();
  if (!isSortOrder(orderText)) throw usageError('ERR_FLAG_VALUE', `invalid value "${orderText}" for --order: expected ${SORT_ORDERS.join(' or ')}`);
  return { fields, sort, order: orderText, full: flags.boolean('full'), legend: !flags.boolean('no-legend'), format: format ?? 'table', now };
}

function compare(a: string | number, b: string | number): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** `rows` sorted by the `sort` columns in turn; equal rows keep their order (also with desc). */
export function sortRows<Row>(listing: Listing<Row>, rows: readonly Row[], sort: readonly string[], order: SortOrder): Row[] {
  const keys = sort.map((field) => listing.columns.find((column) => column.field === field)?.sortKey).filter((key) => key !== undefined);
  if (keys.length === 0) return [...rows];
  const sign = order === 'desc' ? -1 : 1;
  return rows
    .map((row, index) => ({ row, index }))
    .sort((x, y) => {
      for (const key of keys) {
        const result = compare(key(x.row), key(y.row));
        if (result !== 0) return sign * result;
      }
      return x.index - y.index;
    })
    .map(({ row }) => row);
}

/** The listing as text (legend + rows) or JSON (an array of `toJson` rows). */
export function renderListing<Row>(listing: Listing<Row>, rows: readonly Row[], options: ListingOptions): string {
  const sorted = sortRows(listing, rows, options.sort, options.order);
  if (isJsonFormat(options.format)) return formatJson(sorted.map((row) => listing.toJson(row)), options.format);
  const columns = options.fields
    .map((field) => listing.columns.find((column) => column.field === field))
    .filter((column) => column !== undefined);
  const style: CellStyle = { full: options.full, now: options.now };
  const lines = sorted.map((row) => columns.map((column) => column.cell(row, style)));
  return formatColumns(options.legend ? [columns.map((column) => column.header), ...lines] : lines);
}
