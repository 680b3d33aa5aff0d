/** @module cli/commands/version — `rocklet version`: what this build is and supports. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errnoCode } from '../../util/index.js';
import type { CommandHandler } from '../command.js';
import { FEATURES } from '../features.js';

/** The appc spec version the ACI and PodManifest code implements. */
const APPC_VERSION = '0.8.11';

/**
 * The version in rocklet's own package.json, read at run time rather than copied into the build.
 * It is the nearest one named "rocklet" above this file, which sits in dist/rocklet/ when bundled
 * and in dist/src/cli/commands/ under the unit tests: two or four directories down.
 */
export function rockletVersion(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const manifest = readManifest(path.join(dir, 'package.json'));
    if (manifest?.name === 'rocklet') return typeof manifest.version === 'string' ? manifest.version : 'unknown';
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

function readManifest(file: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

const ARCH_NAMES: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };

export const handler: CommandHandler = async (ctx) => {
  const info = {
    version: rockletVersion(),
    appcVersion: APPC_VERSION,
    nodeVersion: process.version,
    osArch: `${process.platform}/${ARCH_NAMES[process.arch] ?? process.arch}`,
    features: FEATURES.map((f) => `${f.enabled ? '+' : '-'}${f.name}`),
  };
  const format = ctx.globals.format;
  if (format === 'json' || format === 'json-pretty') {
    ctx.out.stdout(`${JSON.stringify(info, null, format === 'json-pretty' ? 2 : undefined)}\n`);
    return 0;
  }
  ctx.out.stdout(
    `rocklet Version: ${info.version}\nappc Version: ${info.appcVersion}\nNode Version: ${info.nodeVersion}\n`
      + `Node OS/Arch: ${info.osArch}\nFeatures: ${info.features.join(' ')}\n`,
  );
  return Promise.resolve(0);
};
