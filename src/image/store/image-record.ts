/**
 * @module image-record — the index of the image store: one JSON file per image
 * (`index/<id>.json`), written atomically. A record's presence makes its image visible; it
 * holds the manifest, so listing and resolving never open blobs.
 */
import { readdir, unlink } from 'node:fs/promises';
import { errnoCode, internalError, isAtomicTempName, readTextIfExists, writeJsonAtomic } from '../../util/index.js';
import type { ACIdentifier } from '../format/aci/ac-types.js';
import type { ImageId } from '../format/aci/image-id.js';
import { isImageId } from '../format/aci/image-id.js';
import type { ImageManifest } from '../format/aci/manifest.js';
import { validateImageManifest } from '../format/aci/manifest.js';
import type { Label } from '../format/aci/manifest-labels.js';
import type { StoreLayout } from './store-layout.js';

/** One layer of an OCI image. */
export interface OciLayerRecord {
  /** `sha256:…` of the blob as stored (compressed). */
  readonly digest: string;
  /** `sha256:…` of the uncompressed tar: names its tree (`layer-<hex>`). */
  readonly diffId: string;
  readonly mediaType: string;
  readonly sizeBytes: number;
}

/** Where an OCI/Docker image came from and what was checked. */
export interface OciImageRecord {
  /** `docker`, `oci`, `oci-archive`, `docker-archive`. */
  readonly transport: string;
  /** The references it was fetched as (canonical: `docker.io/library/busybox:1.36`), first first. */
  readonly references: readonly string[];
  readonly manifestDigest: string;
  readonly manifestMediaType: string;
  readonly configDigest: string;
  /** `os/arch[/variant]` of the image config. */
  readonly platform: string;
  readonly layers: readonly OciLayerRecord[];
  /** How its signature was checked, in words (`not verified: --insecure-options=image`). */
  readonly verification: string;
}

/** One stored image. */
export interface ImageRecord {
  readonly id: ImageId;
  readonly name: ACIdentifier;
  readonly labels: readonly Label[];
  /** Size of the stored (uncompressed) ACI. */
  readonly sizeBytes: number;
  /** Bytes of file content in the image's own tree. */
  readonly treeSizeBytes: number;
  readonly importTime: Date;
  readonly lastUsed: Date;
  readonly manifest: ImageManifest;
  /** OCI/Docker images only (their `manifest` is the appc view of the image config). */
  readonly oci?: OciImageRecord;
}

interface RecordJson {
  id: string;
  sizeBytes: number;
  treeSizeBytes: number;
  importTime: string;
  lastUsed: string;
  manifest: Record<string, unknown>;
  oci?: OciImageRecord;
}

/** Write a record atomically (the commit point of an import). */
export async function writeRecord(layout: StoreLayout, record: ImageRecord, options: { readonly durable?: boolean } = {}): Promise<void> {
  const json: RecordJson = {
    id: record.id,
    sizeBytes: record.sizeBytes,
    treeSizeBytes: record.treeSizeBytes,
    importTime: record.importTime.toISOString(),
    lastUsed: record.lastUsed.toISOString(),
    manifest: { ...record.manifest.raw },
    ...(record.oci === undefined ? {} : { oci: record.oci }),
  };
  await writeJsonAtomic(layout.record(record.id), json, { durable: options.durable ?? true });
}

function corrupt(file: string, why: string): Error {
  return internalError('ERR_STORE_CORRUPT', `image store record ${file} is corrupt: ${why}`, {
    hint: 'remove the file; the image can be fetched again',
  });
}

function toRecord(file: string, json: unknown): ImageRecord {
  const value = json as Partial<RecordJson> | null;
  if (typeof value !== 'object' || value === null || typeof value.id !== 'string' || !isImageId(value.id)) throw corrupt(file, 'no valid id');
  const validation = validateImageManifest(value.manifest);
  if (!validation.ok) throw corrupt(file, 'invalid manifest');
  const importTime = new Date(String(value.importTime));
  const lastUsed = new Date(String(value.lastUsed));
  if (Number.isNaN(importTime.getTime()) || Number.isNaN(lastUsed.getTime())) throw corrupt(file, 'bad timestamps');
  const { manifest } = validation;
  return {
    id: value.id,
    name: manifest.name,
    labels: manifest.labels,
    sizeBytes: Number(value.sizeBytes ?? 0),
    treeSizeBytes: Number(value.treeSizeBytes ?? 0),
    importTime,
    lastUsed,
    manifest,
    ...(value.oci === undefined ? {} : { oci: checkOci(file, value.oci) }),
  };
}

function checkOci(file: string, value: unknown): OciImageRecord {
  const oci = value as Partial<OciImageRecord> | null;
  if (typeof oci !== 'object' || oci === null || typeof oci.manifestDigest !== 'string' || !Array.isArray(oci.layers) || !Array.isArray(oci.references)) {
    throw corrupt(file, 'bad oci section');
  }
  return oci as OciImageRecord;
}

/** The record of `id`, or undefined when the image is not in the store. */
export async function readRecord(layout: StoreLayout, id: ImageId): Promise<ImageRecord | undefined> {
  const file = layout.record(id);
  const text = await readTextIfExists(file);
  return text === undefined ? undefined : toRecord(file, JSON.parse(text));
}

/** Every record in the store (unordered). Leftover temp files of atomic writes are skipped. */
export async function listRecords(layout: StoreLayout): Promise<ImageRecord[]> {
  const records: ImageRecord[] = [];
  for (const name of await readdir(layout.index)) {
    if (isAtomicTempName(name) || !name.endsWith('.json')) continue;
    const id = name.slice(0, -'.json'.length);
    if (!isImageId(id)) continue;
    const record = await readRecord(layout, id);
    if (record !== undefined) records.push(record);
  }
  return records;
}

/** Remove a record (the image becomes invisible). Missing is fine. */
export async function deleteRecord(layout: StoreLayout, id: ImageId): Promise<void> {
  try {
    await unlink(layout.record(id));
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}
