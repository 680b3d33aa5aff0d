/** @module cli/commands/version — `rocklet version`: what this build is and supports. */
import { readFileSync } from 'node:fs';
import type { CommandHandler } from '../command.js';
import { FEATURES } from '../features.js';

/** The appc spec version the ACI and PodManifest code implements. */
const APPC_VERSION = '0.8.11';

function rockletVersion(): string {
  // package.json sits two levels above dist/src/cli; read it rather than bundling a copy.
  const url = new URL('../../../../package.json', import.meta.url);
  const parsed = JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : 'unknown';
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
