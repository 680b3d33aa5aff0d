/**
 * @module cli/run-args-values — the value syntaxes of `run`/`prepare` flags (rkt.md §1.3):
 * quantities, capability lists, NAME=VALUE pairs, env files, volumes, mounts, ports, DNS and
 * hosts entries. Each parser names the flag and the offending text in its usage error, so a
 * typo never reaches planning. What needs the image or the host is checked by planning.
 */
import { isIP, isIPv4 } from 'node:net';
import path from 'node:path';
import { LINUX_CAPABILITIES, isACName, parseQuantity } from '../image/index.js';
import type { DnsRequest, EnvPair, HostsRequest, MountRequest, NetRequest, PortRequest, VolumeRequest } from '../pod/index.js';
import { usageError } from '../util/index.js';
import type { FlagSpec, ParsedFlags } from './flags.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/i;
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;

function bad(flag: string, raw: string, why: string, hint?: string): never {
  throw usageError('ERR_FLAG_VALUE', `invalid value "${raw}" for --${flag}: ${why}`, hint === undefined ? {} : { hint });
}

/** `--memory`: a Kubernetes quantity (`128M`, `64Mi`, `1G`) → whole bytes, at least 1. */
export function parseMemory(raw: string): number {
  const value = parseQuantity(raw);
  if (value === undefined || !Number.isFinite(value)) bad('memory', raw, 'not a quantity', 'e.g. --memory=128M or --memory=1Gi');
  const bytes = Math.ceil(value);
  if (bytes < 1 || !Number.isSafeInteger(bytes)) bad('memory', raw, 'must be at least 1 byte', 'e.g. --memory=128M or --memory=1Gi');
  return bytes;
}

/** `--cpu`: cores as a quantity (`500m`, `2`, `1.5`) → millicores, at least 1. */
export function parseCpu(raw: string): number {
  const value = parseQuantity(raw);
  if (value === undefined || !Number.isFinite(value)) bad('cpu', raw, 'not a quantity', 'e.g. --cpu=500m (half a core) or --cpu=2');
  const millicores = Math.round(value * 1000);
  if (millicores < 1 || !Number.isSafeInteger(millicores)) bad('cpu', raw, 'must be at least 1m (a thousandth of a core)', 'e.g. --cpu=500m');
  return millicores;
}

/** `--caps-retain`/`--caps-remove`: comma list, `CAP_` prefix optional, any case → canonical names. */
export function parseCapabilities(flag: string, raw: string): string[] {
  const names: string[] = [];
  for (const item of raw.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') bad(flag, raw, 'empty capability name');
    const upper = trimmed.toUpperCase();
    const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
    if (!(LINUX_CAPABILITIES as readonly string[]).includes(name)) {
      bad(flag, raw, `unknown capability "${trimmed}"`, 'capability names as in capabilities(7), e.g. CAP_NET_ADMIN or net_admin');
    }
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** `--oom-score-adj`: an integer in -1000…1000. */
export function parseOomScoreAdj(raw: string): number {
  if (!/^[+-]?\d+$/.test(raw)) bad('oom-score-adj', raw, 'not an integer');
  const value = Number(raw);
  if (value < -1000 || value > 1000) bad('oom-score-adj', raw, 'must be between -1000 and 1000');
  return value;
}

/** `NAME=VALUE` (value may be empty or contain `=`). */
export function parseEnvPair(flag: string, raw: string): EnvPair {
  const eq = raw.indexOf('=');
  if (eq <= 0) bad(flag, raw, 'expected NAME=VALUE');
  const name = raw.slice(0, eq);
  if (!ENV_NAME.test(name)) bad(flag, raw, `"${name}" is not a valid environment variable name`);
  return { name, value: raw.slice(eq + 1) };
}

/**
 * The contents of a `--set-env-file` (rkt's format): one `NAME=VALUE` per line; blank lines
 * and lines starting with `#` or `;` are skipped; anything else is an error naming the line.
 */
export function parseEnvFile(file: string, text: string): EnvPair[] {
  const pairs: EnvPair[] = [];
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const eq = line.indexOf('=');
    const name = eq <= 0 ? '' : line.slice(0, eq).trim();
    if (!ENV_NAME.test(name)) {
      throw usageError('ERR_ENV_FILE', `${file}:${index + 1}: expected NAME=VALUE, got "${line}"`, {
        hint: 'one NAME=VALUE per line; blank lines and lines starting with # or ; are ignored',
      });
    }
    pairs.push({ name, value: line.slice(eq + 1) });
  }
  return pairs;
}

function parseBool(flag: string, raw: string, key: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return bad(flag, raw, `${key} must be true or false`);
}

function parseId(flag: string, raw: string, key: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 0xffffffff - 1) bad(flag, raw, `${key} must be a non-negative integer`);
  return Number(value);
}

function keyValues(flag: string, raw: string, items: readonly string[], allowed: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq);
    if (eq === -1 || !allowed.includes(key)) bad(flag, raw, `unexpected "${item}"`, `allowed: ${allowed.map((k) => `${k}=…`).join(', ')}`);
    if (values.has(key)) bad(flag, raw, `${key} given twice`);
    values.set(key, item.slice(eq + 1));
  }
  return values;
}

const VOLUME_HINT = 'e.g. --volume=data,kind=host,source=/srv/data[,readOnly=true] or --volume=scratch,kind=empty[,mode=0755,uid=0,gid=0]';

/** `--volume NAME,kind=host,source=PATH[,readOnly=BOOL][,recursive=BOOL]` or `NAME,kind=empty[,mode=][,uid=][,gid=][,readOnly=]`. */
export function parseVolume(raw: string): VolumeRequest {
  const [first = '', ...rest] = raw.split(',');
  const name = first.startsWith('name=') ? first.slice('name='.length) : first;
  if (!isACName(name)) bad('volume', raw, `volume name "${name}" is not an AC name (lowercase letters, digits and dashes)`, VOLUME_HINT);
  const values = keyValues('volume', raw, rest, ['kind', 'source', 'readOnly', 'recursive', 'mode', 'uid', 'gid']);
  const kind = values.get('kind');
  const readOnly = values.has('readOnly') ? parseBool('volume', raw, 'readOnly', values.get('readOnly') ?? '') : false;
  if (kind === 'host') {
    const source = values.get('source');
    if (source === undefined || source === '') bad('volume', raw, 'kind=host needs source=PATH', VOLUME_HINT);
    if (!path.isAbsolute(source)) bad('volume', raw, `source "${source}" must be an absolute path`);
    for (const key of ['mode', 'uid', 'gid']) if (values.has(key)) bad('volume', raw, `${key}= applies to kind=empty only`);
    const recursive = values.has('recursive') ? parseBool('volume', raw, 'recursive', values.get('recursive') ?? '') : true;
    return { name, kind: 'host', source: path.normalize(source), readOnly, recursive };
  }
  if (kind === 'empty') {
    for (const key of ['source', 'recursive']) if (values.has(key)) bad('volume', raw, `${key}= applies to kind=host only`);
    const modeText = values.get('mode') ?? '0755';
    if (!/^0?[0-7]{3,4}$/.test(modeText)) bad('volume', raw, `mode "${modeText}" must be octal permission bits, e.g. 0755`);
    const uid = values.has('uid') ? parseId('volume', raw, 'uid', values.get('uid') ?? '') : 0;
    const gid = values.has('gid') ? parseId('volume', raw, 'gid', values.get('gid') ?? '') : 0;
    return { name, kind: 'empty', mode: Number.parseInt(modeText, 8), uid, gid, readOnly };
  }
  return bad('volume', raw, kind === undefined ? 'missing kind=host or kind=empty' : `unknown kind "${kind}"`, VOLUME_HINT);
}

/** Per-app `--mount volume=NAME,target=PATH` (PATH absolute, or a mount-point name of the image). */
export function parseMount(raw: string): MountRequest {
  const values = keyValues('mount', raw, raw.split(','), ['volume', 'target']);
  const volume = values.get('volume');
  const target = values.get('target');
  const hint = 'e.g. --mount=volume=data,target=/var/data';
  if (volume === undefined || !isACName(volume)) bad('mount', raw, 'volume=NAME is missing or not an AC name', hint);
  if (target === undefined || target === '') bad('mount', raw, 'target=PATH is missing', hint);
  if (!path.isAbsolute(target) && !isACName(target)) bad('mount', raw, `target "${target}" is neither an absolute path nor a mount-point name`, hint);
  return { volume, target: path.isAbsolute(target) ? path.posix.normalize(target) : target };
}

/** `--port NAME:[HOSTIP:]HOSTPORT`. */
export function parsePort(raw: string): PortRequest {
  const parts = raw.split(':');
  const hint = 'e.g. --port=http:8080 or --port=http:127.0.0.1:8080 (NAME is a port the image declares)';
  if (parts.length < 2 || parts.length > 3) bad('port', raw, 'expected NAME:[HOSTIP:]HOSTPORT', hint);
  const [name = '', ...rest] = parts;
  const portText = rest.at(-1) ?? '';
  const hostIp = rest.length === 2 ? rest[0] : undefined;
  if (!isACName(name)) bad('port', raw, `port name "${name}" is not an AC name`, hint);
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) bad('port', raw, `host port "${portText}" must be 1-65535`, hint);
  if (hostIp !== undefined && !isIPv4(hostIp)) bad('port', raw, `host IP "${hostIp}" is not an IPv4 address`, hint);
  return { name, hostPort: Number(portText), ...(hostIp === undefined ? {} : { hostIp }) };
}

/** A `--dns` server address. */
export function parseDnsServer(raw: string): string {
  if (isIP(raw) === 0) bad('dns', raw, 'not an IP address (or "host")');
  return raw;
}

/** A `--dns-search` / `--dns-domain` domain. */
export function parseDomain(flag: string, raw: string): string {
  if (!HOST_NAME.test(raw.replace(/\.$/, ''))) bad(flag, raw, 'not a domain name');
  return raw;
}

/** `--hosts-entry IP=HOST[,HOST…]` → one entry per host name. */
export function parseHostsEntry(raw: string): { ip: string; hostname: string }[] {
  const eq = raw.indexOf('=');
  const hint = 'e.g. --hosts-entry=10.0.0.5=db.example.com, or --hosts-entry=host for the host /etc/hosts';
  if (eq <= 0) bad('hosts-entry', raw, 'expected IP=HOST', hint);
  const ip = raw.slice(0, eq);
  if (isIP(ip) === 0) bad('hosts-entry', raw, `"${ip}" is not an IP address`, hint);
  return raw.slice(eq + 1).split(',').map((hostname) => {
    if (!HOST_NAME.test(hostname)) bad('hosts-entry', raw, `"${hostname}" is not a host name`, hint);
    return { ip, hostname };
  });
}

/** `--hostname`: one DNS label, as the pod's UTS name. */
export function parseHostname(raw: string): string {
  if (!DNS_LABEL.test(raw)) bad('hostname', raw, 'must be a DNS label (letters, digits and dashes, at most 63)');
  return raw;
}

/** The values `--net` takes; a bare `--net` followed by anything else means `default` (rkt). */
const NET_VALUE = /^(host|none|default)(,(host|none|default))*$/;

/**
 * `--net` has an optional value, so the flag parser reads `--net host` as a bare `--net` and an
 * IMAGE "host" (pflag's NoOptDefVal, as in rkt). Nobody means that: among the pod flags, join
 * `--net` with a following word that is a network mode.
 */
export function joinNetValue(rawArgs: readonly string[], podFlags: readonly FlagSpec[]): string[] {
  const args = [...rawArgs];
  for (let i = 0; i < args.length; i++) {
    const token = args[i] as string;
    if (token === '--' || !token.startsWith('-') || token === '-') break;
    if (token.includes('=')) continue;
    const name = token.replace(/^--?/, '');
    const spec = podFlags.find((flag) => (token.startsWith('--') ? flag.name === name : flag.short === name));
    if (spec === undefined) break; // the flag parser reports it
    if (spec.name === 'net') {
      const next = args[i + 1];
      if (next !== undefined && NET_VALUE.test(next)) args.splice(i, 2, `--net=${next}`);
      continue;
    }
    if (spec.kind !== 'boolean' && spec.optionalValue === undefined) i++;
  }
  return args;
}

/** `--net` (rkt: a bare `--net` is `default`; only host, none and default exist here). */
export function parseNet(flags: ParsedFlags): NetRequest {
  const values = flags.list('net').flatMap((value) => value.split(','));
  if (values.length === 0) return 'default';
  const [only, ...others] = values;
  if (others.length > 0 && others.some((value) => value !== only)) {
    throw usageError('ERR_FLAG_VALUE', `--net takes one of host, none, default; got ${values.join(', ')}`, { hint: 'named CNI networks are not supported' });
  }
  if (only === 'host' || only === 'none' || only === 'default') return only;
  throw usageError('ERR_FLAG_VALUE', `invalid value "${only ?? ''}" for --net: expected host, none or default`, { hint: 'named CNI networks are not supported' });
}

/** `--dns*` flags → the pod's resolv.conf request. */
export function parseDns(flags: ParsedFlags): DnsRequest {
  const servers = flags.list('dns');
  const host = servers.includes('host');
  const searches = flags.list('dns-search').map((domain) => parseDomain('dns-search', domain));
  const options = flags.list('dns-opt');
  const domain = flags.string('dns-domain');
  if (host && (servers.length > 1 || searches.length > 0 || options.length > 0 || domain !== undefined)) {
    throw usageError('ERR_FLAG_CONFLICT', '--dns=host cannot be combined with other --dns, --dns-search, --dns-opt or --dns-domain flags', {
      hint: '--dns=host uses the host\'s /etc/resolv.conf as it is',
    });
  }
  return {
    host,
    servers: host ? [] : servers.map(parseDnsServer),
    searches,
    options,
    ...(domain === undefined ? {} : { domain: parseDomain('dns-domain', domain) }),
  };
}

/** `--hosts-entry` flags → the pod's /etc/hosts request. */
export function parseHosts(flags: ParsedFlags): HostsRequest {
  const entries = flags.list('hosts-entry');
  const host = entries.includes('host');
  if (host && entries.length > 1) {
    throw usageError('ERR_FLAG_CONFLICT', '--hosts-entry=host cannot be combined with other --hosts-entry flags', { hint: '--hosts-entry=host uses the host\'s /etc/hosts as it is' });
  }
  return { host, entries: host ? [] : entries.flatMap(parseHostsEntry) };
}
