/**
 * @module cli/commands/trust-policy — the signature-policy side of `rocklet trust`
 * (issue 13): `--type=signedBy|sigstoreSigned|reject|accept --scope=SCOPE [--pubkeys=FILE…]`
 * sets one scope of `<config-dir>/policy.json` (keys copied under `<config-dir>/policy-keys/`),
 * `--lookaside=URL --scope=SCOPE` writes `<config-dir>/registries.d/rocklet-<scope>.yaml`,
 * and `--list` shows the policy, the lookasides and the appc keys (`--format=json` too).
 * Exit codes: 0, 2 for usage errors, 254 otherwise (a broken policy.json names file and key).
 */
import type { PolicyEntry, Requirement, TrustType } from '../../image/index.js';
import {
  POLICY_FILE_NAME, PULL_TRANSPORTS, TRUST_TYPES, loadRegistriesConfig, openKeystore, parsePolicy, scopeName, setLookaside, setPolicyEntry,
} from '../../image/index.js';
import { readTextIfExists, usageError } from '../../util/index.js';
import type { CommandContext } from '../command.js';
import { formatJson, isJsonFormat } from '../render/json.js';
import { formatColumns } from '../render/table.js';
import path from 'node:path';

/** True when the command line asks for the policy side of `trust`. */
export function isPolicyRequest(ctx: CommandContext): boolean {
  return ctx.flags.string('type') !== undefined || ctx.flags.string('lookaside') !== undefined || ctx.flags.boolean('list');
}

function isTrustType(value: string): value is TrustType {
  return (TRUST_TYPES as readonly string[]).includes(value);
}

function parseEntry(ctx: CommandContext, type: string): PolicyEntry {
  if (!isTrustType(type)) throw usageError('ERR_FLAG_VALUE', `invalid --type "${type}": expected ${TRUST_TYPES.join(', ')}`);
  const scope = ctx.flags.string('scope');
  if (scope === undefined) throw usageError('ERR_MISSING_ARGUMENT', `--type=${type} needs --scope=SCOPE (a registry, namespace, repository, *.domain, or "default")`);
  const transport = ctx.flags.string('transport') ?? 'docker';
  const known = PULL_TRANSPORTS.find((t) => t === transport);
  if (known === undefined) throw usageError('ERR_FLAG_VALUE', `invalid --transport "${transport}": expected ${PULL_TRANSPORTS.join(', ')}`);
  if (ctx.args.length > 0) throw usageError('ERR_UNEXPECTED_ARGUMENT', `--type takes its keys from --pubkeys, not as arguments (${ctx.args.join(' ')})`);
  const keyFiles = ctx.flags.list('pubkeys');
  const wantsKeys = type === 'signedBy' || type === 'sigstoreSigned';
  if (wantsKeys && keyFiles.length === 0) throw usageError('ERR_MISSING_ARGUMENT', `--type=${type} needs --pubkeys=FILE (${type === 'signedBy' ? 'an OpenPGP public key: gpg --armor --export FINGERPRINT' : 'a PEM public key such as cosign.pub'})`);
  if (!wantsKeys && keyFiles.length > 0) throw usageError('ERR_FLAG_CONFLICT', `--type=${type} takes no --pubkeys`);
  return { transport: known, scope, type, keyFiles };
}

function requirementText(requirement: Requirement): { type: string; keys: string; identity: string } {
  switch (requirement.type) {
    case 'insecureAcceptAnything':
    case 'reject':
      return { type: requirement.type, keys: '', identity: '' };
    case 'signedBy':
    case 'sigstoreSigned': {
      const keys = requirement.keys.map((key) => (key.source === 'path' ? key.path : '(keyData)')).join(',');
      const rule = requirement.signedIdentity;
      const detail = rule.type === 'exactReference' ? ` ${rule.dockerReference.canonical}` : rule.type === 'exactRepository' ? ` ${rule.dockerRepository}`
        : rule.type === 'remapIdentity' ? ` ${rule.prefix}=>${rule.signedPrefix}` : '';
      return { type: requirement.type, keys, identity: `${rule.type}${detail}` };
    }
  }
}

async function listPolicy(ctx: CommandContext): Promise<number> {
  const configDir = ctx.globals.configDir;
  const file = path.join(configDir, POLICY_FILE_NAME);
  const text = await readTextIfExists(file);
  const policy = text === undefined ? undefined : parsePolicy(text, file);
  const entries = policy === undefined ? [] : [
    { transport: '*', scope: 'default', requirements: policy.default.requirements },
    ...[...policy.transports].flatMap(([transport, scopes]) => scopes.map((s) => ({ transport, scope: s.scope === '' ? '(transport default)' : s.scope, requirements: s.requirements }))),
  ].flatMap((e) => e.requirements.map((r) => ({ transport: e.transport, scope: e.scope, ...requirementText(r) })));
  const registries = await loadRegistriesConfig(configDir);
  const lookasides = [
    ...(registries.defaultDocker?.lookaside === undefined ? [] : [{ scope: 'default-docker', url: registries.defaultDocker.lookaside.href, file: registries.defaultDocker.origin }]),
    ...[...registries.docker].flatMap(([scope, s]) => (s.lookaside === undefined ? [] : [{ scope, url: s.lookaside.href, file: s.origin }])),
  ];
  const keys = (await openKeystore(configDir).list()).map((k) => ({ trust: scopeName(k.scope), fingerprint: k.key.fingerprint, identities: k.key.identities }));
  const format = ctx.globals.format;
  if (isJsonFormat(format)) {
    ctx.out.stdout(formatJson({ policy: policy === undefined ? null : { file, entries }, lookasides, appcKeys: keys }, format));
    return 0;
  }
  const sections: string[] = [];
  sections.push(policy === undefined ? `no signature policy (${file})`
    : `signature policy ${file}:\n${formatColumns([['TRANSPORT', 'SCOPE', 'REQUIREMENT', 'KEYS', 'IDENTITY'], ...entries.map((e) => [e.transport, e.scope, e.type, e.keys, e.identity])])}`);
  if (lookasides.length > 0) sections.push(`lookasides (${registries.dir}):\n${formatColumns([['SCOPE', 'URL', 'FILE'], ...lookasides.map((l) => [l.scope, l.url, l.file])])}`);
  if (keys.length > 0) sections.push(`appc keys:\n${formatColumns([['TRUSTED FOR', 'FINGERPRINT', 'IDENTITIES'], ...keys.map((k) => [k.trust, k.fingerprint, k.identities.join(', ')])])}`);
  ctx.out.stdout(`${sections.join('\n\n')}\n`);
  return 0;
}

/** Runs the policy side of `trust` (see the module header). */
export async function policyHandler(ctx: CommandContext): Promise<number> {
  for (const flag of ['prefix', 'root'] as const) {
    if (flag === 'prefix' ? ctx.flags.string(flag) !== undefined : ctx.flags.boolean(flag)) {
      throw usageError('ERR_FLAG_CONFLICT', `--${flag} (appc keys) cannot be combined with --type, --lookaside or --list`);
    }
  }
  if (ctx.flags.boolean('list')) {
    if (ctx.flags.string('type') !== undefined || ctx.flags.string('lookaside') !== undefined) throw usageError('ERR_FLAG_CONFLICT', '--list cannot be combined with --type or --lookaside');
    return listPolicy(ctx);
  }
  const type = ctx.flags.string('type');
  const lookaside = ctx.flags.string('lookaside');
  const configDir = ctx.globals.configDir;
  if (type !== undefined) {
    const result = await setPolicyEntry(configDir, parseEntry(ctx, type));
    for (const key of result.keyPaths) ctx.out.diag(`copied key to "${key}"`);
    for (const key of result.removedKeyPaths) ctx.out.diag(`removed key "${key}": policy.json no longer names it`);
    ctx.out.diag(`${result.created ? 'created' : 'updated'} "${result.file}": ${result.at} = [${JSON.stringify(result.requirement)}]`);
    if (result.created) ctx.out.diag('the new policy rejects images of every scope it does not name ("default": reject)');
  }
  if (lookaside !== undefined) {
    const scope = ctx.flags.string('scope');
    if (scope === undefined) throw usageError('ERR_MISSING_ARGUMENT', '--lookaside needs --scope=SCOPE (or --scope=default for default-docker)');
    if (type === undefined && ctx.args.length > 0) throw usageError('ERR_UNEXPECTED_ARGUMENT', `--lookaside takes no arguments (${ctx.args.join(' ')})`);
    ctx.out.diag(`wrote "${await setLookaside(configDir, scope, lookaside)}": signatures of "${scope}" are read from ${lookaside}`);
  }
  return 0;
}
