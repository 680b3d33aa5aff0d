/**
 * @module cli/commands/fetch — `rocklet fetch IMAGE…` (rkt.md §1.5): fetches each image into
 * the store and prints its ID on stdout, one line per image as it completes (short form, or
 * the full ID with `--full`; `--format json` prints one array at the end).
 *
 * IMAGE is a file path (always imported; signature `<file>.asc` or the matching `--signature`),
 * an https:// URL (signature at URL + `.asc`), an appc name resolved by meta discovery, or an
 * image ID (store only). Pull policy default `update`. Diagnostics and progress go to stderr: a
 * progress bar when stderr is a terminal, plain `fetch: downloading …` lines otherwise.
 * Exit codes: 0 when every image was fetched, 2 for usage errors, 254 otherwise.
 */
import type { FetchEvent, FetchResult } from '../../image/index.js';
import { ImageFetcher, ImageStore, loadFetchSettings, loadFetchSignaturePolicy, resolvePullPolicy, shortImageId } from '../../image/index.js';
import { usageError } from '../../util/index.js';
import type { CommandContext, CommandHandler, Output } from '../command.js';
import { formatBytesIec } from '../render/size.js';

/** The warning printed when signature checks are off (rkt said "image signature verification has been disabled"). */
export const INSECURE_IMAGE_WARNING = 'signature verification disabled (--insecure-options=image)';

const BAR_WIDTH = 30;
const REDRAW_MS = 100;

function sizeText(bytes: number | undefined): string {
  return bytes === undefined ? 'unknown size' : formatBytesIec(bytes);
}

/** Renders fetch events: `fetch: …` lines, and a redrawn bar per download on a terminal. */
export class FetchProgress {
  readonly #out: Output;
  readonly #write: ((text: string) => void) | undefined;
  #lastDraw = 0;
  #barShown = false;

  /** `write` draws raw text on the terminal (stderr); without it every event is a plain line. */
  constructor(out: Output, write?: (text: string) => void) {
    this.#out = out;
    this.#write = out.stderrIsTTY ? write : undefined;
  }

  readonly handle = (event: FetchEvent): void => {
    if (event.kind === 'download-progress') return this.#bar('Downloading', event.url, event.bytes, event.totalBytes, false);
    // Unpacking follows a download or a file's signature check: a bar on a terminal, else nothing.
    if (event.kind === 'import-progress') return this.#bar('Unpacking', event.source, event.bytes, undefined, false);
    this.#endBar();
    const line = this.#line(event);
    if (line !== undefined) this.#out.diag(line);
  };

  #line(event: Exclude<FetchEvent, { kind: 'download-progress' | 'import-progress' }>): string | undefined {
    switch (event.kind) {
      case 'file':
        return `using image from file ${event.path}`;
      case 'store-hit':
        return `using image from local store for image name ${event.reference}`;
      case 'discovered':
        return `discovered ${event.name} at ${event.url}`;
      case 'cache-hit':
        return event.reason === 'policy-new'
          ? `using image from local store for url ${event.url}`
          : event.reason === 'fresh'
            ? `image for ${event.url} isn't expired, not fetching`
            : `image for ${event.url} not modified (HTTP 304), using the stored copy`;
      case 'download-start':
        if (this.#write !== undefined) return void this.#bar('Downloading', event.url, event.resumeFrom, event.totalBytes, true);
        return event.resumeFrom > 0
          ? `resuming download of ${event.url} at ${formatBytesIec(event.resumeFrom)} of ${sizeText(event.totalBytes)}`
          : `downloading ${event.url} (${sizeText(event.totalBytes)})`;
      case 'download-done':
        return `downloaded ${event.url} (${formatBytesIec(event.bytes)})`;
      case 'download-restart':
        return `discarding the partial download of ${event.url}: ${event.reason}`;
      case 'signature-verified':
        return `signature verified: ${event.signer.identities.join(', ') || event.signer.fingerprint} (key ${event.signer.fingerprint}, trusted for ${event.signer.trustedFor})`;
      case 'dependency':
        return `fetching ${event.name}, a dependency of ${event.of}`;
    }
  }

  #bar(verb: string, url: string, bytes: number, total: number | undefined, force: boolean): void {
    if (this.#write === undefined) return;
    const now = Date.now();
    if (!force && now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    const name = url.slice(url.lastIndexOf('/') + 1) || url;
    const filled = total === undefined || total === 0 ? 0 : Math.min(BAR_WIDTH, Math.floor((bytes / total) * BAR_WIDTH));
    const bar = total === undefined ? '' : ` [${'='.repeat(filled)}${filled < BAR_WIDTH ? '>' : ''}${' '.repeat(Math.max(0, BAR_WIDTH - filled - 1))}]`;
    this.#write(`\r\x1b[K${verb} ${name}${bar} ${formatBytesIec(bytes)}${total === undefined ? '' : `/${formatBytesIec(total)}`}`);
    this.#barShown = true;
  }

  /** Clear a bar still on screen (before an error message is printed). */
  finish(): void {
    this.#endBar();
  }

  #endBar(): void {
    if (!this.#barShown || this.#write === undefined) return;
    this.#write('\r\x1b[K');
    this.#barShown = false;
  }
}

function parseImages(ctx: CommandContext): { images: readonly string[]; signatures: readonly string[] } {
  const images = ctx.args;
  if (images.length === 0) {
    throw usageError('ERR_MISSING_ARGUMENT', 'fetch needs at least one image', { hint: 'rocklet fetch ./app.aci, https://example.com/app.aci or example.com/app:1.0' });
  }
  const signatures = ctx.flags.list('signature');
  if (signatures.length > images.length) {
    throw usageError('ERR_TOO_MANY_ARGUMENTS', `${signatures.length} --signature flags for ${images.length} image${images.length === 1 ? '' : 's'}`, {
      hint: 'each --signature belongs to the image in the same position',
    });
  }
  return { images, signatures };
}

export const handler: CommandHandler = async (ctx) => {
  const { images, signatures } = parseImages(ctx);
  const pullPolicy = resolvePullPolicy(ctx.flags.string('pull-policy'), 'fetch');
  const settings = await loadFetchSettings(ctx.globals.configDir, { caFile: ctx.flags.string('ca-file'), stallTimeout: ctx.flags.string('stall-timeout'), platform: ctx.flags.string('platform') });
  if (ctx.globals.insecure.has('image')) ctx.out.warn(INSECURE_IMAGE_WARNING);
  const store = await ImageStore.open(ctx.globals.dir);
  const progress = new FetchProgress(ctx.out, (text) => process.stderr.write(text));
  const signaturePolicy = await loadFetchSignaturePolicy(ctx.globals.configDir, ctx.globals.insecure, { caFile: settings.caFile, signal: ctx.signal });
  const fetcher = new ImageFetcher({
    store, configDir: ctx.globals.configDir, pullPolicy, insecure: ctx.globals.insecure, settings, onEvent: progress.handle, signal: ctx.signal, signaturePolicy,
  });
  const json = ctx.globals.format === 'json' || ctx.globals.format === 'json-pretty';
  const full = ctx.flags.boolean('full');
  const results: { image: string; result: FetchResult }[] = [];
  try {
    for (const [index, image] of images.entries()) {
      const result = await fetcher.fetch(image, { signatureFile: signatures[index] });
      results.push({ image, result });
      if (!json) ctx.out.stdout(`${full ? result.record.id : shortImageId(result.record.id)}\n`);
    }
  } finally {
    progress.finish();
  }
  if (json) {
    const body = results.map(({ image, result }) => ({ image, id: result.record.id, name: result.record.name, origin: result.origin }));
    ctx.out.stdout(`${JSON.stringify(body, null, ctx.globals.format === 'json' ? undefined : 2)}\n`);
  }
  return 0;
};
