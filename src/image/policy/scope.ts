/**
 * @module image/policy/scope — the scopes of containers-policy.json(5) and
 * containers-registries.d(5) for the `docker` transport, and the order in which they are
 * looked up for an image (containers/image's rules).
 *
 * A scope is a repository with a tag or digest (`quay.io/team/app:1`, `…@sha256:…`), a
 * repository, a namespace (`quay.io/team`), a registry (`quay.io`, `localhost:5000`) or a
 * wildcard domain (`*.example.com`, no port). For `registry.example.com:5000/team/app:1` the
 * lookup is: `registry.example.com:5000/team/app:1`, `registry.example.com:5000/team/app`,
 * `registry.example.com:5000/team`, `registry.example.com:5000`, `*.example.com`, `*.com`; the
 * first that the file names wins. Names are Docker's normalised ones (`docker.io/library/nginx`,
 * never `nginx`): a scope must start with its registry. Pure: no I/O.
 */
import type { DockerReference } from '../format/oci/docker-reference.js';
import { parseDockerReference } from '../format/oci/docker-reference.js';
import { isRockletError } from '../../util/index.js';

const HOST_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]+$/;

/** The repository name of a reference: `domain/path` (no tag, no digest). */
export function repositoryName(reference: DockerReference): string {
  return `${reference.domain}/${reference.path}`;
}

/**
 * The reference as policy identities see it: `name@digest` when it has a digest (the digest
 * pins the image, so it wins over a tag, as it does for pulling), else `name:tag`.
 */
export function policyIdentity(reference: DockerReference): string {
  const name = repositoryName(reference);
  return reference.digest === undefined ? `${name}:${reference.tag ?? 'latest'}` : `${name}@${reference.digest}`;
}

/** The scopes that may apply to `reference`, most specific first (see the module header). */
export function dockerScopesOf(reference: DockerReference): string[] {
  const scopes = [policyIdentity(reference)];
  let name = repositoryName(reference);
  for (;;) {
    scopes.push(name);
    const slash = name.lastIndexOf('/');
    if (slash === -1) break;
    name = name.slice(0, slash);
  }
  // `name` is now the registry; wildcards never carry a port.
  let host = name.startsWith('[') ? '' : name.replace(/:.*$/, '');
  for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.')) {
    host = host.slice(dot + 1);
    scopes.push(`*.${host}`);
  }
  return scopes;
}

function isHostPort(text: string): boolean {
  const colon = text.indexOf(':');
  const host = colon === -1 ? text : text.slice(0, colon);
  const port = colon === -1 ? undefined : text.slice(colon + 1);
  if (port !== undefined && !PORT.test(port)) return false;
  return host !== '' && host.split('.').every((label) => HOST_LABEL.test(label));
}

/** The explicit tag or digest suffix of `text` (`:1`, `@sha256:…`, `:1@sha256:…`), '' if none. */
function explicitSuffix(text: string): string {
  const at = text.indexOf('@');
  const name = at === -1 ? text : text.slice(0, at);
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon) : '';
  return tag + (at === -1 ? '' : text.slice(at));
}

/**
 * Why `scope` is not a valid docker scope, or undefined when it is. `''` (the transport's
 * default) is valid.
 */
export function dockerScopeProblem(scope: string): string | undefined {
  if (scope === '') return undefined;
  if (scope.startsWith('*.')) {
    return isHostPort(scope.slice(2)) && !scope.includes(':') ? undefined : `"${scope}" is not a wildcard domain (*.example.com, without a port)`;
  }
  if (scope.includes('*')) return `"${scope}": a wildcard is only allowed as the first label of a domain (*.example.com)`;
  if (!scope.includes('/')) return isHostPort(scope) ? undefined : `"${scope}" is not a registry host[:port]`;
  const first = scope.slice(0, scope.indexOf('/'));
  if (!(first.includes('.') || first.includes(':') || first === 'localhost')) {
    return `"${scope}" is not a fully qualified name; write "docker.io/${scope}" (or name its registry)`;
  }
  if (first === 'index.docker.io') return `"${scope}": write "docker.io${scope.slice(first.length)}"`;
  try {
    parseDockerReference(scope);
  } catch (error) {
    return isRockletError(error) ? error.message : String(error);
  }
  const suffix = explicitSuffix(scope);
  if (/^:[^@]+@/.test(suffix)) return `"${scope}" has both a tag and a digest; name one of them`;
  return undefined;
}

/**
 * Why `text` is not a valid remapIdentity prefix (a registry, a namespace or a repository,
 * without tag or digest), or undefined.
 */
export function remapPrefixProblem(text: string): string | undefined {
  if (text.startsWith('*.')) return `"${text}": wildcards are not allowed in remapIdentity prefixes`;
  const problem = dockerScopeProblem(text);
  if (problem !== undefined) return problem;
  if (text === '') return 'must not be empty';
  if (explicitSuffix(text) !== '' && text.includes('/')) return `"${text}" must not have a tag or digest`;
  return undefined;
}
