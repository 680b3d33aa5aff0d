/**
 * @module fetch/manifest-peek — read just the manifest of a downloaded ACI, before it goes
 * near the store: the signature check needs the image name (the key prefix) and discovery
 * must compare name and labels with the request. Stops at the `manifest` entry (the first one
 * in ACIs written by actool and `rocklet image build`); the full checks come with the import.
 */
import { open } from 'node:fs/promises';
import type { Extract } from 'tar-stream';
import { invalidArgument, isRockletError } from '../../util/index.js';
import { MAX_MANIFEST_BYTES } from '../format/aci/aci-reader.js';
import { decompress } from '../archive/decompress.js';
import type { ImageManifest } from '../format/aci/manifest.js';
import { parseImageManifest } from '../format/aci/manifest.js';
import { toTarEntry } from '../archive/tar-entry.js';

type Entry = Extract extends AsyncIterable<infer S> ? S : never;

async function readManifestEntry(entry: Entry, sourceName: string): Promise<string> {
  if (entry.header.type !== 'file' || entry.header.size > MAX_MANIFEST_BYTES) {
    throw invalidArgument('ERR_ACI_LAYOUT', `${sourceName}: "manifest" must be a regular file of at most ${MAX_MANIFEST_BYTES} bytes`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The parsed manifest of the ACI at `file`. Errors: those of decompression and manifest
 * parsing, `ERR_ACI_NO_MANIFEST`, `ERR_TAR_CORRUPT`.
 */
export async function peekManifest(file: string, sourceName: string): Promise<ImageManifest> {
  // tar-stream (and its stream stack) is loaded only when an ACI file is really peeked into.
  const { extract: createExtract } = await import('tar-stream');
  const stream = (await open(file, 'r')).createReadStream({ highWaterMark: 256 * 1024 });
  const extract = createExtract();
  let text: string | undefined;
  const consume = (async (): Promise<void> => {
    for await (const entry of extract) {
      if (toTarEntry(entry.header, sourceName).name === 'manifest') {
        text = await readManifestEntry(entry, sourceName);
        return;
      }
      entry.resume();
    }
  })();
  try {
    const { tar } = await decompress(stream, { sourceName });
    const feed = async (): Promise<void> => {
      for await (const chunk of tar) {
        if (text !== undefined || extract.destroyed) return;
        if (!extract.write(chunk) && !extract.destroyed) {
          await new Promise<void>((resolve) => extract.once('drain', resolve).once('close', resolve));
        }
      }
      if (!extract.destroyed) extract.end(undefined);
    };
    await Promise.all([feed(), consume]);
  } catch (error) {
    if (isRockletError(error)) throw error;
    throw invalidArgument('ERR_TAR_CORRUPT', `${sourceName}: the tar archive is corrupt: ${(error as Error).message}`, { cause: error });
  } finally {
    extract.destroy();
    stream.destroy();
    // The consumer settles once the extractor is gone; its error, if any, was seen above.
    await consume.catch(() => undefined);
  }
  if (text === undefined) {
    throw invalidArgument('ERR_ACI_NO_MANIFEST', `${sourceName}: the archive has no "manifest" file`, {
      hint: 'an ACI is a tar holding "manifest" and "rootfs/" at its top level',
    });
  }
  return parseImageManifest(text, `the manifest of ${sourceName}`);
}
