/**
 * The signature policy against a real docker-registry on loopback: images pushed with skopeo,
 * simple-signing signatures made by `skopeo copy --sign-by` with a real gpg key into a file
 * lookaside (also served over http), cosign signatures attached to the registry. Each case
 * calls the policy the way the fetch path will: loadSignaturePolicy(configDir), then check().
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { once } from 'node:events';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DockerReference } from '../../../src/image/index.js';
import { parseDockerReference } from '../../../src/image/index.js';
import type { PolicyAcceptance } from '../../../src/image/policy/index.js';
import { createFetchSignaturePolicy, describeAcceptance, loadSignaturePolicy } from '../../../src/image/policy/index.js';
import { parsePlatform, RegistryClient } from '../../../src/image/registry/index.js';
import { isRockletError } from '../../../src/util/index.js';
import type { GpgKey, Registry, TempDir } from '../../harness/index.js';
import { addOciIndex, buildOciImage, createGpgKey, execChecked, makeTempDir, pushImage, startRegistry } from '../../harness/index.js';
import { testSettings } from '../registry/helpers.js';
import type { CosignLayer } from './fixtures.js';
import { cosignKeyPair, cosignPayload, lookasideYaml, pushCosignSignatures, pushSigned, writeConfig } from './fixtures.js';

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('signature policy: signatures from a real registry and lookaside', () => {
  let tmp: TempDir;
  let registry: Registry;
  let signer: GpgKey;
  let stranger: GpgKey;
  let client: RegistryClient;
  let sigs: string;
  let http: Server;
  let httpBase: string;
  const digests = new Map<string, { digest: string; bytes: Buffer }>();
  const cosign = cosignKeyPair();
  const otherCosign = cosignKeyPair();
  let signerKey: string;
  let strangerKey: string;
  let cosignPub: string;
  let otherCosignPub: string;

  const ref = (name: string): DockerReference => parseDockerReference(`${registry.host}/${name}`);
  const sigDir = (repository: string, digest: string): string => path.join(sigs, `${repository}@${digest.replace(':', '=')}`);

  before(async () => {
    tmp = await makeTempDir('policy-registry');
    [registry, signer, stranger] = await Promise.all([startRegistry(), createGpgKey({ name: 'policy signer' }), createGpgKey({ name: 'policy stranger' })]);
    sigs = path.join(tmp.path, 'sigs');
    const layout = path.join(tmp.path, 'oci');
    await buildOciImage(layout, { tag: 'a', marker: 'image a' });
    await buildOciImage(layout, { tag: 'b', marker: 'image b' });
    await pushSigned(layout, 'a', `${registry.host}/team/app:1`, signer, sigs);
    await pushImage(layout, 'a', `${registry.host}/team/app:5`);
    await pushImage(layout, 'b', `${registry.host}/team/app:2`);
    await pushImage(layout, 'a', `${registry.host}/mirror/team/app:1`);
    await pushImage(layout, 'a', `${registry.host}/cosign/app:1`);
    await pushImage(layout, 'b', `${registry.host}/cosign/app:2`);
    await pushImage(layout, 'a', `${registry.host}/unsigned/app:1`);
    await addOciIndex(layout, 'multi', [{ tag: 'a', platform: { os: 'linux', architecture: 'amd64' } }, { tag: 'b', platform: { os: 'linux', architecture: 'arm64' } }]);
    await pushSigned(layout, 'multi', `${registry.host}/team/multi:1`, signer, sigs, { all: true });
    client = new RegistryClient({ registry: registry.host, settings: await testSettings(tmp.path), insecure: true });
    for (const [repository, tag] of [['team/app', '1'], ['team/app', '2'], ['cosign/app', '1'], ['cosign/app', '2']] as const) {
      const fetched = await client.getManifest(repository, tag);
      digests.set(`${repository}:${tag}`, { digest: fetched.digest, bytes: fetched.bytes });
    }
    const a = digests.get('team/app:1')?.digest ?? '';
    const b = digests.get('team/app:2')?.digest ?? '';
    // The signature of image a, also placed where the signatures of image b and of the mirror's copy are looked for.
    const signature = path.join(sigDir('team/app', a), 'signature-1');
    await mkdir(sigDir('team/app', b), { recursive: true });
    await copyFile(signature, path.join(sigDir('team/app', b), 'signature-1'));
    await mkdir(sigDir('mirror/team/app', a), { recursive: true });
    await copyFile(signature, path.join(sigDir('mirror/team/app', a), 'signature-1'));
    const keys = path.join(tmp.path, 'keys');
    await mkdir(keys);
    [signerKey, strangerKey, cosignPub, otherCosignPub] = [path.join(keys, 'signer.gpg'), path.join(keys, 'stranger.gpg'), path.join(keys, 'cosign.pub'), path.join(keys, 'other.pub')];
    await writeFile(signerKey, signer.armoredPublicKey);
    await writeFile(strangerKey, stranger.armoredPublicKey);
    await writeFile(cosignPub, cosign.publicPem);
    await writeFile(otherCosignPub, otherCosign.publicPem);
    // Cosign: app:1 signed well; app:2 carries a tampered payload, a signature for another digest and one for another name.
    const cosignA = digests.get('cosign/app:1')?.digest ?? '';
    const cosignB = digests.get('cosign/app:2')?.digest ?? '';
    await pushCosignSignatures(registry.url, 'cosign/app', cosignA, [{ payload: cosignPayload(`${registry.host}/cosign/app:1`, cosignA), key: cosign.privateKey }]);
    const tampered: CosignLayer = { payload: cosignPayload(`${registry.host}/cosign/app:2`, cosignB), signed: cosignPayload(`${registry.host}/cosign/app:2`, cosignA), key: cosign.privateKey };
    await pushCosignSignatures(registry.url, 'cosign/app', cosignB, [tampered]);
    http = createServer((request, response) => {
      if (request.url?.startsWith('/broken/') === true) {
        response.writeHead(500).end();
        return;
      }
      readFile(path.join(sigs, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname))).then(
        (bytes) => response.end(bytes),
        () => response.writeHead(404).end(),
      );
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const address = http.address();
    httpBase = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  after(async () => {
    http.close();
    await Promise.all([registry.stop(), signer.remove(), stranger.remove()]);
    await tmp.remove();
  });

  /** Loads the policy of `configDir` and checks `name` (its digest as pushed under `digestOf`). */
  async function check(configDir: string, name: string, digestOf = name): Promise<PolicyAcceptance> {
    const state = await loadSignaturePolicy(configDir);
    assert.equal(state.state, 'configured');
    if (state.state !== 'configured') throw new Error('unreachable');
    const pushed = digests.get(digestOf);
    assert.ok(pushed !== undefined, `no digest recorded for ${digestOf}`);
    return state.policy.check({ transport: 'docker', reference: ref(name), manifestDigest: pushed.digest, manifestBytes: pushed.bytes, client });
  }

  async function refused(configDir: string, name: string, code: string, message: RegExp, digestOf = name): Promise<void> {
    await assert.rejects(check(configDir, name, digestOf), (error: unknown) => {
      assert.ok(isRockletError(error), String(error));
      assert.equal(error.code, code, error.message);
      assert.equal(error.exitCode, 254);
      assert.match(error.message, message);
      return true;
    });
  }

  const signedBy = (keyPath: string, signedIdentity?: unknown): unknown => ({ type: 'signedBy', keyType: 'GPGKeys', keyPath, ...(signedIdentity === undefined ? {} : { signedIdentity }) });
  const policyFor = (scope: string, requirements: unknown[]): unknown => ({ default: [{ type: 'reject' }], transports: { docker: { [scope]: requirements } } });
  const fileLookaside = (): Record<string, string> => ({ 'sigs.yaml': lookasideYaml('', `file://${sigs}`).replace('docker:\n  "":', 'default-docker:') });

  it('accepts an image signed by skopeo --sign-by with the trusted gpg key', async () => {
    const dir = await writeConfig(tmp.path, policyFor(registry.host, [signedBy(signerKey)]), fileLookaside());
    const result = await check(dir, 'team/app:1');
    assert.equal(result.at, `transports.docker["${registry.host}"]`);
    assert.equal(result.verified.length, 1);
    const [verified] = result.verified;
    assert.ok(verified?.kind === 'signedBy');
    assert.equal(verified.keyFingerprint, signer.fingerprint.toLowerCase());
    assert.equal(verified.identity, `${registry.host}/team/app:1`);
    assert.match(verified.signature, /team\/app@sha256=[0-9a-f]{64}\/signature-1$/);
    assert.equal(typeof verified.timestamp, 'number');
    assert.equal(describeAcceptance(result), `signedBy key ${signer.fingerprint.toLowerCase()} as ${registry.host}/team/app:1 (${dir}/policy.json transports.docker["${registry.host}"])`);
  });

  it('reads the same signatures from an http lookaside configured for the repository scope', async () => {
    const dir = await writeConfig(tmp.path, policyFor(`${registry.host}/team`, [signedBy(signerKey)]), { 'http.yaml': lookasideYaml(`${registry.host}/team/app`, httpBase) });
    const [verified] = (await check(dir, 'team/app:1')).verified;
    assert.ok(verified?.kind === 'signedBy' && verified.signature.startsWith(`${httpBase}/team/app@sha256=`));
    // A lookaside that fails (neither a signature nor 404) is an error of its own, not a missing signature.
    const broken = await writeConfig(tmp.path, policyFor(`${registry.host}/team`, [signedBy(signerKey)]), { 'http.yaml': lookasideYaml(registry.host, `${httpBase}/broken`) });
    await refused(broken, 'team/app:1', 'ERR_POLICY_LOOKASIDE', /cannot read signature http:\/\/127\.0\.0\.1:\d+\/broken\/team\/app@sha256=[0-9a-f]{64}\/signature-1: HTTP 500/);
  });

  it('refuses a signature made by a key the policy does not name', async () => {
    const dir = await writeConfig(tmp.path, policyFor(registry.host, [signedBy(strangerKey)]), fileLookaside());
    await refused(dir, 'team/app:1', 'ERR_POLICY_SIGNATURE_UNKNOWN_KEY', /signature file:\/\/.*signature-1 was made by key [0-9a-f]{16}, which is not one of the keys the policy accepts/);
  });

  it('refuses a signature of another digest', async () => {
    const dir = await writeConfig(tmp.path, policyFor(registry.host, [signedBy(signerKey)]), fileLookaside());
    const a = digests.get('team/app:1')?.digest ?? '';
    const b = digests.get('team/app:2')?.digest ?? '';
    await refused(dir, 'team/app:2', 'ERR_POLICY_SIGNATURE_DIGEST', new RegExp(`is for manifest ${a}, not for ${b} of ${registry.host}/team/app:2`));
  });

  it('refuses a signature for another reference unless matchRepository or remapIdentity says it fits', async () => {
    const exact = await writeConfig(tmp.path, policyFor(registry.host, [signedBy(signerKey)]), fileLookaside());
    // The same image under another tag: the signature names :1.
    await refused(exact, 'team/app:5', 'ERR_POLICY_SIGNATURE_IDENTITY', new RegExp(`names ${registry.host}/team/app:1, but .* only signatures naming exactly ${registry.host}/team/app:5`), 'team/app:1');
    const repository = await writeConfig(tmp.path, policyFor(registry.host, [signedBy(signerKey, { type: 'matchRepository' })]), fileLookaside());
    assert.equal((await check(repository, 'team/app:5', 'team/app:1')).verified[0]?.kind, 'signedBy');
    // A mirror of the signed repository: refused as it is, accepted with remapIdentity.
    await refused(exact, 'mirror/team/app:1', 'ERR_POLICY_SIGNATURE_IDENTITY', /names .*\/team\/app:1, but/, 'team/app:1');
    const remap = await writeConfig(tmp.path, policyFor(registry.host, [signedBy(signerKey, { type: 'remapIdentity', prefix: `${registry.host}/mirror`, signedPrefix: registry.host })]), fileLookaside());
    assert.equal((await check(remap, 'mirror/team/app:1', 'team/app:1')).verified[0]?.kind, 'signedBy');
  });

  it('accepts an image when any one of its signatures satisfies the requirement, whatever its position', async () => {
    const a = digests.get('team/app:1')?.digest ?? '';
    const good = await readFile(path.join(sigDir('team/app', a), 'signature-1'));
    // A well-formed simple-signing signature of the same payload by another key: gpg --sign.
    const payloadFile = path.join(tmp.path, 'payload.json');
    await writeFile(payloadFile, JSON.stringify({ critical: { type: 'atomic container signature', image: { 'docker-manifest-digest': a }, identity: { 'docker-reference': `${registry.host}/team/app:1` } }, optional: {} }));
    const strangers = path.join(tmp.path, 'stranger.sig');
    await execChecked(['gpg', '--batch', '--yes', '--local-user', stranger.fingerprint, '--output', strangers, '--sign', payloadFile], { env: { ...process.env, GNUPGHOME: stranger.gnupgHome } });
    const other = await readFile(strangers);
    const lookaside = path.join(tmp.path, 'two-sigs');
    const dir = path.join(lookaside, `team/app@${a.replace(':', '=')}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'signature-1'), other);
    await writeFile(path.join(dir, 'signature-2'), good);
    const config = await writeConfig(tmp.path, policyFor(registry.host, [signedBy(signerKey)]), { 'l.yaml': lookasideYaml(registry.host, `file://${lookaside}`) });
    const [verified] = (await check(config, 'team/app:1')).verified;
    assert.ok(verified?.kind === 'signedBy' && verified.signature.endsWith('/signature-2'));
    // Both keys named: the first signature that verifies is the one reported.
    const both = await writeConfig(tmp.path, policyFor(registry.host, [{ type: 'signedBy', keyType: 'GPGKeys', keyPaths: [signerKey, strangerKey] }]), { 'l.yaml': lookasideYaml(registry.host, `file://${lookaside}`) });
    const [first] = (await check(both, 'team/app:1')).verified;
    assert.ok(first?.kind === 'signedBy' && first.keyFingerprint === stranger.fingerprint.toLowerCase());
    // Only the stranger's key: its own signature-1 satisfies the requirement.
    const onlyStranger = await writeConfig(tmp.path, policyFor(registry.host, [signedBy(strangerKey)]), { 'l.yaml': lookasideYaml(registry.host, `file://${lookaside}`) });
    assert.equal((await check(onlyStranger, 'team/app:1')).verified[0]?.kind, 'signedBy');
  });

  it('refuses a damaged signature and an image without signatures', async () => {
    const dir = await writeConfig(tmp.path, policyFor(registry.host, [signedBy(signerKey)]), fileLookaside());
    const a = digests.get('team/app:1')?.digest ?? '';
    const damaged = path.join(tmp.path, 'damaged');
    await mkdir(path.join(damaged, `team/app@${a.replace(':', '=')}`), { recursive: true });
    const bytes = await readFile(path.join(sigDir('team/app', a), 'signature-1'));
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff;
    await writeFile(path.join(damaged, `team/app@${a.replace(':', '=')}`, 'signature-1'), bytes);
    const damagedDir = await writeConfig(tmp.path, policyFor(registry.host, [signedBy(signerKey)]), { 'd.yaml': lookasideYaml(registry.host, `file://${damaged}`) });
    await refused(damagedDir, 'team/app:1', 'ERR_POLICY_SIGNATURE_INVALID', /signature file:\/\/.*signature-1 /);
    await refused(dir, 'unsigned/app:1', 'ERR_POLICY_SIGNATURE_MISSING', /needs a signature, but there is no signature of sha256:[0-9a-f]{64} at file:\/\/.*unsigned\/app@sha256=[0-9a-f]{64}\/signature-1/, 'team/app:1');
    const noLookaside = await writeConfig(tmp.path, policyFor(registry.host, [signedBy(signerKey)]));
    await refused(noLookaside, 'team/app:1', 'ERR_POLICY_SIGNATURE_MISSING', /no lookaside is configured for it in .*registries\.d/);
  });

  it('accepts a cosign signature attached to the registry with the trusted public key', async () => {
    const dir = await writeConfig(tmp.path, policyFor(`${registry.host}/cosign`, [{ type: 'sigstoreSigned', keyPath: cosignPub }]));
    const [verified] = (await check(dir, 'cosign/app:1')).verified;
    assert.ok(verified?.kind === 'sigstoreSigned');
    assert.match(verified.keyFingerprint, /^sha256:[0-9a-f]{64}$/);
    assert.equal(verified.identity, `${registry.host}/cosign/app:1`);
    assert.match(verified.signature, /cosign\/app:sha256-[0-9a-f]{64}\.sig layers\[0\]$/);
  });

  it('refuses cosign signatures by another key, over a tampered payload, or absent', async () => {
    const otherKey = await writeConfig(tmp.path, policyFor(`${registry.host}/cosign`, [{ type: 'sigstoreSigned', keyPath: otherCosignPub }]));
    await refused(otherKey, 'cosign/app:1', 'ERR_POLICY_SIGNATURE_UNKNOWN_KEY', /does not verify with any key the policy accepts \(.*other\.pub\)/);
    const good = await writeConfig(tmp.path, policyFor(`${registry.host}/cosign`, [{ type: 'sigstoreSigned', keyData: Buffer.from(cosign.publicPem).toString('base64') }]));
    await refused(good, 'cosign/app:2', 'ERR_POLICY_SIGNATURE_UNKNOWN_KEY', /the payload was changed after signing/);
    // The image was pushed, never signed: no .sig tag.
    const anywhere = await writeConfig(tmp.path, policyFor(registry.host, [{ type: 'sigstoreSigned', keyPath: cosignPub }]));
    await refused(anywhere, 'unsigned/app:1', 'ERR_POLICY_SIGNATURE_MISSING', /no sigstore signature of .* \(no tag .*unsigned\/app:sha256-[0-9a-f]{64}\.sig\)/, 'team/app:1');
    const off = await writeConfig(tmp.path, policyFor(`${registry.host}/cosign`, [{ type: 'sigstoreSigned', keyPath: cosignPub }]), { 'off.yaml': `docker:\n  ${registry.host}:\n    use-sigstore-attachments: false\n` });
    await refused(off, 'cosign/app:1', 'ERR_POLICY_SIGNATURE_MISSING', /off\.yaml: docker\[.*\] sets use-sigstore-attachments: false/);
  });

  it('refuses a cosign signature for another digest and for another reference', async () => {
    const cosignA = digests.get('cosign/app:1')?.digest ?? '';
    // A second signature manifest, on repository cosign/wrong, for the digest of cosign/app:1.
    await pushImage(path.join(tmp.path, 'oci'), 'a', `${registry.host}/cosign/wrong:1`);
    await pushCosignSignatures(registry.url, 'cosign/wrong', cosignA, [
      { payload: cosignPayload(`${registry.host}/cosign/wrong:1`, digests.get('cosign/app:2')?.digest ?? ''), key: cosign.privateKey },
    ]);
    const dir = await writeConfig(tmp.path, policyFor(`${registry.host}/cosign`, [{ type: 'sigstoreSigned', keyPath: cosignPub }]));
    await refused(dir, 'cosign/wrong:1', 'ERR_POLICY_SIGNATURE_DIGEST', /is for manifest sha256:[0-9a-f]{64}, not for/, 'cosign/app:1');
    await refused(dir, 'cosign/app:7', 'ERR_POLICY_SIGNATURE_IDENTITY', /names .*\/cosign\/app:1, but/, 'cosign/app:1');
  });

  it('applies reject and insecureAcceptAnything, and requires every requirement of the scope', async () => {
    const dir = await writeConfig(tmp.path, {
      default: [{ type: 'insecureAcceptAnything' }],
      transports: { docker: { [`${registry.host}/unsigned`]: [{ type: 'reject' }], [`${registry.host}/team`]: [signedBy(signerKey), { type: 'sigstoreSigned', keyPath: cosignPub }] } },
    }, fileLookaside());
    await refused(dir, 'unsigned/app:1', 'ERR_POLICY_REJECTED', new RegExp(`transports\\.docker\\["${escape(registry.host)}/unsigned"\\]\\[0\\] rejects it`), 'team/app:1');
    assert.deepEqual((await check(dir, 'cosign/app:1')).verified, [{ kind: 'insecureAcceptAnything' }]);
    // Signed with gpg, but without the cosign signature the scope also requires.
    await refused(dir, 'team/app:1', 'ERR_POLICY_SIGNATURE_MISSING', /no sigstore signature/);
    const byDefault = await writeConfig(tmp.path, { default: [{ type: 'reject' }] });
    await refused(byDefault, 'team/app:1', 'ERR_POLICY_REJECTED', /no scope of .*policy\.json names it, and "default" rejects it/);
  });

  it('answers the fetch path through its seam, checking a multi-platform image by the index that was signed', async () => {
    const dir = await writeConfig(tmp.path, policyFor(registry.host, [signedBy(signerKey)]), fileLookaside());
    const state = await loadSignaturePolicy(dir);
    const seam = createFetchSignaturePolicy(state, new Set());
    const reference = `${registry.host}/team/multi:1`;
    seam.precheck({ transport: 'docker', reference });
    const resolved = await client.resolveImage('team/multi', '1', { platform: parsePlatform('linux/amd64') });
    assert.equal(resolved.indexDigests.length, 1);
    const manifest = await client.getManifest('team/multi', resolved.digest);
    const request = { transport: 'docker' as const, reference, manifestDigest: resolved.digest, manifestBytes: manifest.bytes, client };
    // skopeo --all --sign-by signs the index and each instance; drop the instance's signature so
    // only the index's can satisfy the policy.
    await rm(sigDir('team/multi', resolved.digest), { recursive: true });
    const accepted = await seam.check({ ...request, indexDigests: resolved.indexDigests });
    assert.equal(accepted.verification, `signedBy key ${signer.fingerprint.toLowerCase()} as ${reference} (${dir}/policy.json transports.docker["${registry.host}"])`);
    await assert.rejects(seam.check(request), (error: unknown) => isRockletError(error) && error.code === 'ERR_POLICY_SIGNATURE_MISSING');
    // precheck refuses without the network what a reject requirement refuses anyway.
    const rejecting = createFetchSignaturePolicy(await loadSignaturePolicy(await writeConfig(tmp.path, { default: [{ type: 'reject' }] })), new Set());
    assert.throws(() => rejecting.precheck({ transport: 'docker', reference }), (error: unknown) => isRockletError(error) && error.code === 'ERR_POLICY_REJECTED');
  });

  it('reports no policy without policy.json, and a broken key file as a policy error naming the key', async () => {
    const none = await loadSignaturePolicy(path.join(tmp.path, 'no-such-config'));
    assert.deepEqual(none, { state: 'none', file: path.join(tmp.path, 'no-such-config', 'policy.json') });
    const missingKey = await writeConfig(tmp.path, policyFor(registry.host, [signedBy('/nonexistent/key.gpg')]));
    await assert.rejects(loadSignaturePolicy(missingKey), new RegExp(`policy\\.json: transports\\.docker\\["${escape(registry.host)}"\\]\\[0\\]\\.keyPath: key file "/nonexistent/key\\.gpg" does not exist`));
    const notPem = await writeConfig(tmp.path, policyFor(registry.host, [{ type: 'sigstoreSigned', keyPath: signerKey }]));
    await assert.rejects(loadSignaturePolicy(notPem), /\[0\]\.keyPath: ".*signer\.gpg" is not a PEM public key/);
    const notGpg = await writeConfig(tmp.path, policyFor(registry.host, [signedBy(cosignPub)]));
    await assert.rejects(loadSignaturePolicy(notGpg), /\[0\]\.keyPath: ".*cosign\.pub" is not an OpenPGP public key/);
  });
});
