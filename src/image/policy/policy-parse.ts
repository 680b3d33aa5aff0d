/**
 * @module image/policy/policy-parse — `<config-dir>/policy.json` in containers-policy.json(5)'s
 * own format, parsed once into a {@link Policy}. Pure: key files are named, not read (see
 * policy-keys.ts).
 *
 * Strict, as containers/image is: unknown keys, a missing `default`, an empty requirement
 * list, a malformed scope, a key given twice or not at all are errors. Requirements rocklet
 * cannot evaluate (`signedBaseLayer`, `signedBy` with X.509 key types, `sigstoreSigned` with
 * Fulcio or Rekor, `pki`) are refused with ERR_POLICY_UNSUPPORTED rather than ignored: an
 * ignored requirement would accept what the operator meant to reject. Every error names the
 * file and the JSON path of the offending value.
 */
import { parseDockerReference } from '../format/oci/docker-reference.js';
import { isRockletError } from '../../util/index.js';
import type { IdentityRule } from './identity.js';
import { DEFAULT_IDENTITY_RULE, IDENTITY_RULES } from './identity.js';
import type { JsonObject } from './json-path.js';
import { describeJson, isJsonObject, jsonPath, policyError, unsupportedPolicy } from './json-path.js';
import type { KeySpec, Policy, PolicyTransport, Requirement, ScopeRequirements } from './policy-types.js';
import { FOREIGN_TRANSPORTS, PULL_TRANSPORTS } from './policy-types.js';
import { dockerScopeProblem, remapPrefixProblem, repositoryName } from './scope.js';

/** Reads fields of one JSON object, refusing keys it was not asked about. */
class Fields {
  readonly #seen = new Set<string>();
  constructor(readonly file: string, readonly at: string, readonly object: JsonObject) {}

  get(key: string): unknown {
    this.#seen.add(key);
    return this.object[key];
  }

  string(key: string, required: boolean): string | undefined {
    const value = this.get(key);
    if (value === undefined) {
      if (required) throw policyError(this.file, this.at, `"${key}" is missing`);
      return undefined;
    }
    if (typeof value !== 'string') throw policyError(this.file, jsonPath(this.at, key), `must be a string, not ${describeJson(value)}`);
    return value;
  }

  /** Throws for the first key that was never read. */
  done(): void {
    for (const key of Object.keys(this.object)) {
      if (!this.#seen.has(key)) throw policyError(this.file, jsonPath(this.at, key), 'unknown key');
    }
  }
}

function objectAt(file: string, at: string, value: unknown): JsonObject {
  if (!isJsonObject(value)) throw policyError(file, at, `must be an object, not ${describeJson(value)}`);
  return value;
}

function parseIdentity(file: string, at: string, value: unknown): IdentityRule {
  if (value === undefined) return DEFAULT_IDENTITY_RULE;
  const fields = new Fields(file, at, objectAt(file, at, value));
  const type = fields.string('type', true) ?? '';
  const reference = (key: string, check: (text: string) => string | undefined): string => {
    const text = fields.string(key, true) ?? '';
    const problem = check(text);
    if (problem !== undefined) throw policyError(file, jsonPath(at, key), problem);
    return text;
  };
  let rule: IdentityRule;
  switch (type) {
    case 'matchRepoDigestOrExact':
    case 'matchRepository':
    case 'matchExact':
      rule = { type };
      break;
    case 'exactReference': {
      const text = reference('dockerReference', (t) => (t.includes('/') && dockerScopeProblem(t) === undefined && /[:@][^/]*$/.test(t) ? undefined
        : `"${t}" must be a fully qualified reference with a tag or digest (registry.example.com/team/app:1)`));
      rule = { type, dockerReference: parseDockerReference(text) };
      break;
    }
    case 'exactRepository': {
      const text = reference('dockerRepository', (t) => (t.includes('/') && dockerScopeProblem(t) === undefined && !/[:@][^/]*$/.test(t) ? undefined
        : `"${t}" must be a fully qualified repository without tag or digest (registry.example.com/team/app)`));
      rule = { type, dockerRepository: repositoryName(parseDockerReference(text)) };
      break;
    }
    case 'remapIdentity':
      rule = { type, prefix: reference('prefix', remapPrefixProblem), signedPrefix: reference('signedPrefix', remapPrefixProblem) };
      break;
    default:
      throw policyError(file, jsonPath(at, 'type'), `unknown identity rule "${type}" (one of ${IDENTITY_RULES.join(', ')})`);
  }
  fields.done();
  return rule;
}

function base64Data(file: string, at: string, value: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value.replace(/\s/g, '')) || value.trim() === '') {
    throw policyError(file, at, 'must be base64-encoded key data (base64 -w0 KEY-FILE)');
  }
  return Buffer.from(value, 'base64');
}

/** keyPath, keyPaths or keyData: exactly one of them. */
function parseKeys(file: string, at: string, fields: Fields): KeySpec[] {
  const keyPath = fields.string('keyPath', false);
  const keyPaths = fields.get('keyPaths');
  const keyData = fields.string('keyData', false);
  const given = [keyPath, keyPaths, keyData].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw policyError(file, at, given === 0 ? 'needs one of "keyPath", "keyPaths" or "keyData"' : 'give only one of "keyPath", "keyPaths" and "keyData"');
  }
  const checkPath = (path: string, where: string): KeySpec => {
    if (!path.startsWith('/')) throw policyError(file, where, `"${path}" must be an absolute path`);
    return { source: 'path', path, at: where };
  };
  if (keyPath !== undefined) return [checkPath(keyPath, jsonPath(at, 'keyPath'))];
  if (keyData !== undefined) return [{ source: 'data', data: base64Data(file, jsonPath(at, 'keyData'), keyData), at: jsonPath(at, 'keyData') }];
  const where = jsonPath(at, 'keyPaths');
  if (!Array.isArray(keyPaths) || keyPaths.length === 0) throw policyError(file, where, 'must be a non-empty list of paths');
  return keyPaths.map((path: unknown, index) => {
    if (typeof path !== 'string') throw policyError(file, jsonPath(where, index), `must be a string, not ${describeJson(path)}`);
    return checkPath(path, jsonPath(where, index));
  });
}

function parseRequirement(file: string, at: string, value: unknown): Requirement {
  const fields = new Fields(file, at, objectAt(file, at, value));
  const type = fields.string('type', true) ?? '';
  let requirement: Requirement;
  switch (type) {
    case 'insecureAcceptAnything':
    case 'reject':
      requirement = { type, at };
      break;
    case 'signedBy': {
      const keyType = fields.string('keyType', true);
      if (keyType !== 'GPGKeys') {
        const known = ['X509Certificates', 'signedByGPGKeys', 'signedByX509CAs'].includes(keyType ?? '');
        if (known) throw unsupportedPolicy(file, jsonPath(at, 'keyType'), `"${keyType}" is not supported (only "GPGKeys")`);
        throw policyError(file, jsonPath(at, 'keyType'), `unknown key type "${keyType}" (expected "GPGKeys")`);
      }
      requirement = { type, at, keys: parseKeys(file, at, fields), signedIdentity: parseIdentity(file, jsonPath(at, 'signedIdentity'), fields.get('signedIdentity')) };
      break;
    }
    case 'sigstoreSigned': {
      for (const key of ['fulcio', 'rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData', 'pki']) {
        if (fields.get(key) !== undefined) {
          throw unsupportedPolicy(file, jsonPath(at, key), `sigstoreSigned with "${key}" is not supported: rocklet verifies sigstore signatures with public keys only (keyPath, keyPaths, keyData)`);
        }
      }
      requirement = { type, at, keys: parseKeys(file, at, fields), signedIdentity: parseIdentity(file, jsonPath(at, 'signedIdentity'), fields.get('signedIdentity')) };
      break;
    }
    case 'signedBaseLayer':
      throw unsupportedPolicy(file, jsonPath(at, 'type'), '"signedBaseLayer" is not supported');
    default:
      throw policyError(file, jsonPath(at, 'type'), `unknown requirement type "${type}" (insecureAcceptAnything, reject, signedBy, sigstoreSigned)`);
  }
  fields.done();
  return requirement;
}

function parseRequirements(file: string, at: string, scope: string, value: unknown): ScopeRequirements {
  if (!Array.isArray(value)) throw policyError(file, at, `must be a list of requirements, not ${describeJson(value)}`);
  if (value.length === 0) throw policyError(file, at, 'the list of requirements must not be empty (use [{"type": "reject"}] to refuse everything)');
  return { scope, at, requirements: value.map((entry: unknown, index) => parseRequirement(file, jsonPath(at, index), entry)) };
}

function isTransport(name: string): name is PolicyTransport {
  return (PULL_TRANSPORTS as readonly string[]).includes(name) || (FOREIGN_TRANSPORTS as readonly string[]).includes(name);
}

/** Path scopes of oci, oci-archive, docker-archive …: an absolute path, optionally `:reference`. */
function pathScopeProblem(scope: string): string | undefined {
  if (scope === '') return undefined;
  if (!scope.startsWith('/')) return `"${scope}" must be an absolute path`;
  return undefined;
}

function parseTransports(file: string, value: unknown): Map<PolicyTransport, ScopeRequirements[]> {
  const transports = new Map<PolicyTransport, ScopeRequirements[]>();
  if (value === undefined) return transports;
  const object = objectAt(file, 'transports', value);
  for (const [name, scopesValue] of Object.entries(object)) {
    const at = jsonPath('transports', name);
    if (!isTransport(name)) {
      throw policyError(file, at, `unknown transport "${name}" (rocklet reads ${PULL_TRANSPORTS.join(', ')}; ${FOREIGN_TRANSPORTS.join(', ')} are accepted but never used)`);
    }
    const scopes: ScopeRequirements[] = [];
    for (const [scope, requirements] of Object.entries(objectAt(file, at, scopesValue))) {
      const scopeAt = jsonPath(at, scope);
      const problem = name === 'docker' ? dockerScopeProblem(scope) : name === 'docker-daemon' ? undefined : pathScopeProblem(scope);
      if (problem !== undefined) throw policyError(file, scopeAt, `invalid scope: ${problem}`);
      scopes.push(parseRequirements(file, scopeAt, scope, requirements));
    }
    transports.set(name, scopes);
  }
  return transports;
}

/**
 * Parses policy.json text. `file` names it in messages. Throws ERR_POLICY_INVALID (bad JSON,
 * unknown keys, bad values) and ERR_POLICY_UNSUPPORTED (see the module header).
 */
export function parsePolicy(text: string, file: string): Policy {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw policyError(file, '', `not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const fields = new Fields(file, '', objectAt(file, '', document));
  const defaults = fields.get('default');
  if (defaults === undefined) throw policyError(file, '', '"default" is missing (e.g. "default": [{"type": "reject"}])');
  try {
    const policy: Policy = { file, default: parseRequirements(file, 'default', '', defaults), transports: parseTransports(file, fields.get('transports')) };
    fields.done();
    return policy;
  } catch (error) {
    if (isRockletError(error) && error.code === 'ERR_IMAGE_REFERENCE') throw policyError(file, '', error.message);
    throw error;
  }
}
