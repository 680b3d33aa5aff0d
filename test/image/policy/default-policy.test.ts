/** The signature policy install.sh writes (etc/policy.json) means what README says it means. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadFetchSettings, parseDockerReference } from '../../../src/image/index.js';
import type { LoadedPolicy } from '../../../src/image/policy/index.js';
import { describeAcceptance, evaluatePolicy, parsePolicy } from '../../../src/image/policy/index.js';
import { hasErrorCode } from '../../../src/util/index.js';

const FILE = fileURLToPath(new URL('../../../../etc/policy.json', import.meta.url));
const DIGEST = `sha256:${'c'.repeat(64)}`;

describe('the default signature policy', () => {
  it('refuses every registry until one is named, and accepts local OCI layouts and archives', async () => {
    const policy = parsePolicy(await readFile(FILE, 'utf8'), FILE);
    const loaded: LoadedPolicy = {
      policy, keys: { gpg: new Map(), sigstore: new Map() }, registries: { dir: '/nonexistent', defaultDocker: undefined, docker: new Map() },
      http: { settings: await loadFetchSettings('/nonexistent'), insecure: new Set() },
    };
    for (const name of ['nginx:1.27', 'quay.io/team/app:1', `registry.example.com/x@${DIGEST}`]) {
      await assert.rejects(evaluatePolicy(loaded, { transport: 'docker', reference: parseDockerReference(name), manifestDigest: DIGEST }),
        (error: unknown) => hasErrorCode(error, 'ERR_POLICY_REJECTED') && /"default" rejects it/.test(error.message) && error.hint?.endsWith(`rocklet trust --type=accept --scope=${parseDockerReference(name).domain}`) === true);
    }
    for (const transport of ['oci', 'oci-archive', 'docker-archive'] as const) {
      const result = await evaluatePolicy(loaded, { transport, reference: '/srv/images/app:1', manifestDigest: DIGEST });
      assert.deepEqual(result.verified, [{ kind: 'insecureAcceptAnything' }]);
      assert.equal(describeAcceptance(result), `accepted without signature (insecureAcceptAnything) (${FILE} ${result.at})`);
      assert.equal(result.at, transport === 'oci' ? 'transports.oci[""]' : `transports["${transport}"][""]`);
    }
  });
});
