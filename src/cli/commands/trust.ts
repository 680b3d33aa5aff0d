/**
 * @module cli/commands/trust — `rocklet trust --prefix=PREFIX [KEY…]` and `--root KEY…`, rkt's
 * `trust` (rkt.md §1.6): reads each KEY (file path or https URL; without KEY the prefix's keys
 * are discovered through `ac-discovery-pubkeys`), shows every key's fingerprint and identities
 * (stdout), asks `Are you sure you want to trust this key (yes/no)?` (stderr) unless
 * `--skip-fingerprint-review`, and stores accepted keys under `<config-dir>/trustedkeys/`.
 *
 * Every key of every location is read and checked (revoked, expired …) before anything is asked
 * or stored, so a bad KEY leaves the keystore as it was. Exit codes: 0 when every key was
 * trusted, 1 when the operator declined at least one, 2 for usage errors, 254 otherwise.
 * HTTPS roots: the system's plus `--ca-file` (or `tls.caFile` in config.yaml); plain http only
 * with `--insecure-allow-http` (rkt's flag) or `--insecure-options=http`.
 * `--type`, `--lookaside` and `--list` edit and show the signature policy of Docker/OCI images
 * instead (trust-policy.ts).
 */
import type { KeySource, PublicKeyInfo, TrustScope, TrustedKey } from '../../image/index.js';
import {
  ROOT_SCOPE, assertKeyUsable, createKeyFetchContext, discoverPublicKeys, formatFingerprint, openKeystore, parseTrustPrefix, readKeySource,
} from '../../image/index.js';
import { failedPrecondition, usageError } from '../../util/index.js';
import type { InsecureFeature } from '../../util/index.js';
import type { CommandContext, CommandHandler } from '../command.js';
import { isPolicyRequest, policyHandler } from './trust-policy.js';

/** Exit code when the operator declined a key at the fingerprint review. */
export const EXIT_DECLINED = 1;

/** The prompt, as rkt asked it. */
export const TRUST_PROMPT = 'Are you sure you want to trust this key (yes/no)? ';

interface TrustRequest {
  readonly scope: TrustScope;
  readonly locations: readonly string[];
  readonly review: boolean;
}

function parseRequest(ctx: CommandContext): TrustRequest {
  const root = ctx.flags.boolean('root');
  const prefixText = ctx.flags.string('prefix');
  if (root && prefixText !== undefined) throw usageError('ERR_FLAG_CONFLICT', '--root and --prefix usage mutually exclusive');
  if (!root && prefixText === undefined) {
    if (ctx.args.length === 0) {
      throw usageError('ERR_MISSING_ARGUMENT', 'trust needs --prefix=PREFIX or --root', { hint: 'rocklet trust --prefix=example.com/app [KEY...]' });
    }
    throw usageError('ERR_TRUST_UNBOUNDED', 'aborting due to implicit unbounded trust (root domain): give --prefix=PREFIX to trust the key for images below PREFIX only, or --root to trust it for every image', {
      hint: `rocklet trust --prefix=example.com/app ${ctx.args.join(' ')}`,
    });
  }
  if (root && ctx.args.length === 0) {
    throw usageError('ERR_MISSING_ARGUMENT', '--root needs at least one KEY (file path or https URL): keys are discovered only for a --prefix');
  }
  const scope: TrustScope = root ? ROOT_SCOPE : { kind: 'prefix', prefix: parseTrustPrefix(prefixText ?? '') };
  return { scope, locations: ctx.args, review: !ctx.flags.boolean('skip-fingerprint-review') };
}

async function readSources(ctx: CommandContext, request: TrustRequest): Promise<KeySource[]> {
  const insecure = new Set<InsecureFeature>(ctx.globals.insecure);
  if (ctx.flags.boolean('insecure-allow-http')) insecure.add('http');
  const context = await createKeyFetchContext(ctx.globals.configDir, { caFile: ctx.flags.string('ca-file'), insecure, signal: ctx.signal });
  let locations = request.locations;
  if (locations.length === 0 && request.scope.kind === 'prefix') {
    const found = await discoverPublicKeys(request.scope.prefix, context);
    ctx.out.diag(`discovered ${found.urls.length} key location${found.urls.length === 1 ? '' : 's'} for prefix "${request.scope.prefix}" at ${found.page}`);
    locations = found.urls;
  }
  const sources: KeySource[] = [];
  for (const location of locations) {
    const source = await readKeySource(location, context);
    for (const key of source.keys) assertKeyUsable(key, location);
    sources.push(source);
  }
  return sources;
}

function showKey(ctx: CommandContext, scope: TrustScope, location: string, key: PublicKeyInfo): void {
  ctx.out.diag(scope.kind === 'root' ? 'root key (trusted for every image)' : `prefix: "${scope.prefix}"`);
  ctx.out.diag(`key: "${location}"`);
  const lines = [`gpg key fingerprint is: ${formatFingerprint(key.fingerprint)}`];
  for (const subkey of key.subkeyFingerprints) lines.push(`    Subkey fingerprint: ${formatFingerprint(subkey)}`);
  for (const identity of key.identities) lines.push(`\t${identity}`);
  ctx.out.stdout(`${lines.join('\n')}\n`);
}

/** Asks until the answer is yes or no (rkt accepts nothing else); end of input means no. */
async function confirm(ctx: CommandContext): Promise<boolean> {
  for (;;) {
    const answer = await ctx.out.readLine(TRUST_PROMPT);
    if (answer === undefined) {
      ctx.out.diag('no answer (end of input): the key is not trusted');
      return false;
    }
    const word = answer.trim().toLowerCase();
    if (word === 'yes') return true;
    if (word === 'no') return false;
    ctx.out.diag(`please answer "yes" or "no", not "${answer.trim()}"`);
  }
}

function describeTarget(scope: TrustScope): string {
  return scope.kind === 'root' ? 'as a root key (every image)' : `for prefix "${scope.prefix}"`;
}

function addedLine(added: TrustedKey): string {
  return added.scope.kind === 'root' ? `Added root key at "${added.path}"` : `Added key for prefix "${added.scope.prefix}" at "${added.path}"`;
}

export const handler: CommandHandler = async (ctx) => {
  if (isPolicyRequest(ctx)) return policyHandler(ctx);
  const request = parseRequest(ctx);
  if (request.review && !ctx.out.stdinIsTTY) {
    throw failedPrecondition('ERR_TRUST_NOT_INTERACTIVE', 'cannot ask to confirm the key fingerprint: standard input is not a terminal', {
      hint: 'check the fingerprint with the key\'s publisher, then run again with --skip-fingerprint-review',
    });
  }
  const sources = await readSources(ctx, request);
  const keystore = openKeystore(ctx.globals.configDir);
  let declined = 0;
  for (const source of sources) {
    for (const key of source.keys) {
      showKey(ctx, request.scope, source.location, key);
      if (request.review && !(await confirm(ctx))) {
        ctx.out.diag(`Not trusting "${source.location}" (key ${key.fingerprint}): declined at the fingerprint review.`);
        declined++;
        continue;
      }
      ctx.out.diag(`Trusting "${source.location}" ${describeTarget(request.scope)} ${request.review ? 'after' : 'without'} fingerprint review.`);
      ctx.out.diag(addedLine(await keystore.add(request.scope, key, source.location)));
    }
  }
  return declined === 0 ? 0 : EXIT_DECLINED;
};
