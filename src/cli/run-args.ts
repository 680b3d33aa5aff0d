/**
 * @module cli/run-args — the command line of `run` and `prepare` → a typed {@link RunRequest}
 * (rkt.md §1.3):
 *
 *     [pod flags] IMAGE [app flags] [-- ARGS…] [---] IMAGE [app flags] [-- ARGS…] …
 *
 * Pod flags end at the first IMAGE. After an IMAGE come its per-app flags (APP_FLAGS); `--`
 * starts the app's arguments, which run up to a lone `---` (then the next IMAGE) or the end; a
 * word that is not a flag starts the next IMAGE. `--pod-manifest` / `--pod-file` describe the
 * whole pod, so IMAGE arguments and the image-only flags are refused beside them (rkt's
 * "conflicting flags set with --pod-manifest"), and so are `--pull-policy=never|update` beside
 * `--pod-manifest` (its images must already be in the store). As in rkt, a `--mount` before the
 * first IMAGE applies to every app (an app's own `--mount` with the same target wins), and a
 * bare `--net` means `default`. All syntax is checked here; what needs the image or the host
 * (port names, host paths, users) is checked by planning.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isACName } from '../image/index.js';
import type { AppRequest, EnvPair, MountRequest, PodOptions, PodSource, RunRequest, VolumeRequest } from '../pod/index.js';
import { errnoCode, usageError } from '../util/index.js';
import type { FlagSpec, ParsedFlags } from './flags.js';
import { parseFlags } from './flags.js';
import {
  joinNetValue, parseCapabilities, parseCpu, parseDns, parseEnvFile, parseEnvPair, parseHostname, parseHosts, parseMemory, parseMount, parseNet,
  parseOomScoreAdj, parsePort, parseVolume,
} from './run-args-values.js';
import { APP_FLAGS } from './table/shared-flags.js';

/** Separates the arguments of one app from the next IMAGE (rkt). */
export const APP_SEPARATOR = '---';

export interface RunArgsOptions {
  /** Every flag allowed before the first IMAGE (the command's flags plus the global ones). */
  readonly podFlags: readonly FlagSpec[];
  /** `prepare` or `run`, for messages. */
  readonly command: string;
  /** Reads a `--set-env-file` (default: the file system, relative to the cwd). */
  readonly readTextFile?: (file: string) => Promise<string>;
}

/** Pod flags that only make sense with IMAGE arguments (rkt refuses them with --pod-manifest). */
const IMAGE_ONLY_FLAGS = ['volume', 'mount', 'port', 'set-env', 'set-env-file', 'inherit-env'] as const;

interface RawApp {
  readonly image: string;
  readonly flagTokens: string[];
  args?: string[];
}

function appFlagNeedsValue(token: string, podFlags: readonly FlagSpec[]): boolean {
  const eq = token.indexOf('=');
  const name = (eq === -1 ? token : token.slice(0, eq)).replace(/^--?/, '');
  const spec = APP_FLAGS.find((flag) => flag.name === name);
  if (spec === undefined) {
    if (podFlags.some((flag) => flag.name === name)) {
      throw usageError('ERR_FLAG_POSITION', `--${name} is a pod flag: it must come before the first IMAGE`, {
        hint: 'pod flags go first, then each IMAGE with its own app flags: [pod flags] IMAGE [app flags] [-- ARGS...] [--- IMAGE ...]',
      });
    }
    parseFlags([token], APP_FLAGS); // throws the usual "unknown flag" with a suggestion
    return false;
  }
  return eq === -1 && spec.kind !== 'boolean' && spec.optionalValue === undefined;
}

/** Splits the words from the first IMAGE on into apps: IMAGE, its flag tokens, its `--` arguments. */
function splitApps(words: readonly string[], podFlags: readonly FlagSpec[]): RawApp[] {
  const apps: RawApp[] = [];
  let current: RawApp | undefined;
  let inArgs = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (word === APP_SEPARATOR) {
      if (current === undefined) throw usageError('ERR_RUN_ARGS', `"${APP_SEPARATOR}" must follow an IMAGE and its flags or arguments`);
      current = undefined;
      inArgs = false;
      continue;
    }
    if (current !== undefined && inArgs) {
      current.args?.push(word);
      continue;
    }
    if (current !== undefined && word === '--') {
      current.args = [];
      inArgs = true;
      continue;
    }
    if (current !== undefined && word.startsWith('-') && word !== '-') {
      current.flagTokens.push(word);
      if (appFlagNeedsValue(word, podFlags)) {
        const value = words[i + 1];
        if (value === undefined) throw usageError('ERR_FLAG_VALUE', `flag needs a value: ${word}`);
        current.flagTokens.push(value);
        i++;
      }
      continue;
    }
    if (word.startsWith('-') && word !== '-') {
      throw usageError('ERR_RUN_ARGS', `expected an IMAGE after "${APP_SEPARATOR}", got the flag ${word}`);
    }
    current = { image: word, flagTokens: [] };
    apps.push(current);
  }
  return apps;
}

function checkMountVolumes(mounts: readonly MountRequest[], volumes: readonly VolumeRequest[], whose: string): void {
  for (const mount of mounts) {
    if (!volumes.some((volume) => volume.name === mount.volume)) {
      throw usageError('ERR_MOUNT_NO_VOLUME', `--mount ${whose}names volume "${mount.volume}", which no --volume defines`, {
        hint: `add --volume=${mount.volume},kind=host,source=PATH (or kind=empty) before the first IMAGE`,
      });
    }
  }
}

/** The app's own mounts, then the pod-wide ones whose target it does not mount itself (rkt). */
function withPodMounts(own: readonly MountRequest[], podMounts: readonly MountRequest[]): MountRequest[] {
  const target = (mount: MountRequest): string => path.posix.resolve('/', mount.target);
  const taken = new Set(own.map(target));
  return [...own, ...podMounts.filter((mount) => !taken.has(target(mount)))];
}

function appRequest(raw: RawApp, volumes: readonly VolumeRequest[], podMounts: readonly MountRequest[]): AppRequest {
  const { flags, args } = parseFlags(raw.flagTokens, APP_FLAGS);
  if (args.length > 0) throw new Error(`splitApps left positional words among app flags: ${args.join(' ')}`);
  const str = (name: string): string | undefined => flags.string(name);
  const retain = str('caps-retain');
  const remove = str('caps-remove');
  if (retain !== undefined && remove !== undefined) {
    throw usageError('ERR_FLAG_CONFLICT', `flags --caps-retain and --caps-remove are mutually exclusive (image ${raw.image})`);
  }
  const own = flags.list('mount').map(parseMount);
  checkMountVolumes(own, volumes, `of image ${raw.image} `);
  const mounts = withPodMounts(own, podMounts);
  const optional = {
    signature: str('signature'),
    name: str('name'),
    exec: str('exec'),
    args: raw.args,
    workingDir: str('working-dir'),
    user: str('user'),
    group: str('group'),
    memoryBytes: flags.given('memory') ? parseMemory(str('memory') ?? '') : undefined,
    cpuMillicores: flags.given('cpu') ? parseCpu(str('cpu') ?? '') : undefined,
    capsRetain: retain === undefined ? undefined : parseCapabilities('caps-retain', retain),
    capsRemove: remove === undefined ? undefined : parseCapabilities('caps-remove', remove),
    oomScoreAdj: flags.given('oom-score-adj') ? parseOomScoreAdj(str('oom-score-adj') ?? '') : undefined,
  };
  if (optional.workingDir !== undefined && !optional.workingDir.startsWith('/')) {
    throw usageError('ERR_FLAG_VALUE', `invalid value "${optional.workingDir}" for --working-dir: must be an absolute path`);
  }
  if (optional.exec === '') throw usageError('ERR_FLAG_VALUE', 'invalid value "" for --exec: must name an executable');
  if (optional.name !== undefined && !isACName(optional.name)) {
    throw usageError('ERR_FLAG_VALUE', `invalid value "${optional.name}" for --name: not an AC name`, { hint: 'lowercase letters, digits and single dashes, e.g. --name=web-1' });
  }
  return {
    image: raw.image,
    environment: flags.list('environment').map((pair) => parseEnvPair('environment', pair)),
    readOnlyRootfs: flags.boolean('readonly-rootfs'),
    mounts,
    ...definedOnly(optional),
  };
}

function definedOnly<T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

function uniqueEnv(flag: string, pairs: readonly EnvPair[]): EnvPair[] {
  const seen = new Set<string>();
  for (const pair of pairs) {
    if (seen.has(pair.name)) throw usageError('ERR_FLAG_VALUE', `--${flag}: ${pair.name} is set more than once`);
    seen.add(pair.name);
  }
  return [...pairs];
}

async function readEnvFiles(files: readonly string[], read: (file: string) => Promise<string>): Promise<EnvPair[]> {
  const pairs: EnvPair[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await read(file);
    } catch (error) {
      const code = errnoCode(error);
      throw usageError('ERR_ENV_FILE', `cannot read --set-env-file ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}`, { cause: error });
    }
    pairs.push(...parseEnvFile(file, text));
  }
  return pairs;
}

function podSource(flags: ParsedFlags, words: readonly string[], volumes: readonly VolumeRequest[], podFlags: readonly FlagSpec[], command: string): PodSource {
  const manifest = flags.string('pod-manifest');
  const podFile = flags.string('pod-file');
  if (manifest !== undefined && podFile !== undefined) {
    throw usageError('ERR_FLAG_CONFLICT', 'flags --pod-manifest and --pod-file are mutually exclusive');
  }
  const described = manifest ?? podFile;
  if (described !== undefined) {
    const flag = manifest === undefined ? 'pod-file' : 'pod-manifest';
    const extra = IMAGE_ONLY_FLAGS.filter((name) => flags.given(name)).map((name) => `--${name}`);
    // rkt: a pod manifest names its images by ID, already in the store; only "new" fits that.
    const pull = flags.string('pull-policy');
    if (flag === 'pod-manifest' && (pull === 'never' || pull === 'update')) extra.push(`--pull-policy=${pull}`);
    if (words.length > 0 || extra.length > 0) {
      const what = [...(words.length > 0 ? [`IMAGE argument ${words[0] ?? ''}`] : []), ...extra];
      throw usageError('ERR_FLAG_CONFLICT', `conflicting flags set with --${flag} (see --help)`, {
        hint: `--${flag} describes the whole pod; remove ${what.join(', ')} (volumes, ports, environment and per-app flags belong in the file)`,
      });
    }
    if (described === '') throw usageError('ERR_FLAG_VALUE', `--${flag} needs a file name`);
    return { kind: flag, path: described };
  }
  const podMounts = flags.list('mount').map(parseMount);
  checkMountVolumes(podMounts, volumes, '');
  const apps = splitApps(words, podFlags).map((raw) => appRequest(raw, volumes, podMounts));
  if (apps.length === 0) {
    throw usageError('ERR_MISSING_ARGUMENT', 'must provide at least one image or specify the pod manifest', {
      hint: `rocklet ${command} ./app.aci, example.com/app:1.0 or an image ID; or ${command} --pod-manifest=FILE / --pod-file=FILE`,
    });
  }
  return { kind: 'images', apps, volumes };
}

/** Parses the raw arguments of `run` / `prepare` (global flags may be among the pod flags). Throws usage errors. */
export async function parseRunArgs(rawArgs: readonly string[], options: RunArgsOptions): Promise<RunRequest> {
  const { flags, args: words } = parseFlags(joinNetValue(rawArgs, options.podFlags), options.podFlags, { stopAtFirstPositional: true });
  const volumes = flags.list('volume').map(parseVolume);
  for (const [index, volume] of volumes.entries()) {
    if (volumes.findIndex((other) => other.name === volume.name) !== index) throw usageError('ERR_FLAG_VALUE', `--volume: volume "${volume.name}" is defined twice`);
  }
  const source = podSource(flags, words, volumes, options.podFlags, options.command);
  const net = parseNet(flags);
  const ports = flags.list('port').map(parsePort);
  if (ports.length > 0 && net !== 'default') {
    throw usageError('ERR_FLAG_CONFLICT', `--port flag does not work with '${net}' networking`, { hint: 'port forwarding needs --net=default' });
  }
  const stage1 = flags.string('stage1') ?? 'crun';
  if (stage1 !== 'crun' && stage1 !== 'fly') throw usageError('ERR_FLAG_VALUE', `invalid value "${stage1}" for --stage1: expected crun or fly`);
  if (stage1 === 'fly' && source.kind === 'images' && source.apps.length > 1) {
    throw usageError('ERR_FLAG_CONFLICT', `--stage1=fly runs exactly one app, got ${source.apps.length} images`);
  }
  const read = options.readTextFile ?? ((file: string): Promise<string> => readFile(file, 'utf8'));
  const hostname = flags.string('hostname');
  const uuidFileSave = flags.string('uuid-file-save');
  const podOptions: PodOptions = {
    stage1,
    net,
    ports,
    dns: parseDns(flags),
    hosts: parseHosts(flags),
    inheritEnv: flags.boolean('inherit-env'),
    setEnvFile: await readEnvFiles(flags.list('set-env-file'), read),
    setEnv: uniqueEnv('set-env', flags.list('set-env').map((pair) => parseEnvPair('set-env', pair))),
    ...(hostname === undefined ? {} : { hostname: parseHostname(hostname) }),
    ...(uuidFileSave === undefined ? {} : { uuidFileSave }),
    ...(flags.given('net') ? { explicitNet: true } : {}),
  };
  return { source, options: podOptions };
}
