/**
 * @module fetch/file-fetcher — a local ACI: always imported, whatever the pull policy (rkt.md
 * §5.4). With verification on, the signature (`--signature FILE`, else `<file>.asc`) is read
 * first, the file is copied into a private work dir of the store, and that copy is verified
 * and imported: the bytes that entered the store are the bytes that were checked, even if the
 * original changes meanwhile.
 */
import { constants as fsConstants } from 'node:fs';
import { copyFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, notFound } from '../../util/index.js';
import { createWorkDir } from '../store/store-workdir.js';
import type { FetchContext, FetchResult } from './context.js';
import { importProgress, verifying } from './context.js';
import { peekManifest } from './manifest-peek.js';
import type { SignatureLocation } from './signature.js';
import { readSignature, verifyImageFile } from './signature.js';

/** Throws `ERR_ACI_NOT_FOUND` unless `file` exists (so a missing image is not reported as a missing signature). */
async function mustExist(file: string): Promise<void> {
  try {
    await stat(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw notFound('ERR_ACI_NOT_FOUND', `${file}: no such file`, { cause: error });
    throw error;
  }
}

/** Import the ACI at `file` (absolute; `signatureFile` too), verified unless `--insecure-options=image`. */
export async function fetchFile(context: FetchContext, file: string, signatureFile: string | undefined): Promise<FetchResult> {
  context.emit({ kind: 'file', path: file });
  const { store } = context;
  const signal = context.http.signal;
  if (!verifying(context)) {
    const imported = await store.importAci(file, { sourceName: file, signal, onProgress: importProgress(context, file) });
    return { record: imported.record, origin: 'file', verified: undefined };
  }
  await mustExist(file);
  const signature: SignatureLocation = { kind: 'file', path: signatureFile ?? `${file}.asc` };
  const armoredSignature = await readSignature(signature, file, context.http);
  const work = await createWorkDir(store.layout, signal);
  try {
    const copy = path.join(work.path, 'image');
    await copyFile(file, copy, fsConstants.COPYFILE_FICLONE);
    const manifest = await peekManifest(copy, file);
    const verified = await verifyImageFile(
      { configDir: context.configDir, imageName: manifest.name, file: copy, image: file, armoredSignature, signature },
      signal,
      context.emit,
    );
    const imported = await store.importAci(copy, { sourceName: file, signal, onProgress: importProgress(context, file) });
    return { record: imported.record, origin: 'file', verified };
  } finally {
    await work.release();
  }
}
