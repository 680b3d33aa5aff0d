import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GLOBAL_FLAGS } from '../../src/cli/globals.js';
import { parseRunArgs } from '../../src/cli/run-args.js';
import { POD_COMMANDS } from '../../src/cli/table/pods.js';
import type { AppRequest, RunRequest } from '../../src/pod/index.js';
import { isRockletError } from '../../src/util/index.js';
import type { TempDir } from '../harness/index.js';
import { makeTempDir } from '../harness/index.js';

const PREPARE_FLAGS = [...(POD_COMMANDS.find((c) => c.name === 'prepare')?.flags ?? []), ...GLOBAL_FLAGS];

function parse(args: readonly string[], files: Record<string, string> = {}): Promise<RunRequest> {
  return parseRunArgs(args, {
    podFlags: PREPARE_FLAGS,
    command: 'prepare',
    readTextFile: (file) => {
      const text = files[file];
      return text === undefined ? Promise.reject(Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' })) : Promise.resolve(text);
    },
  });
}

function apps(request: RunRequest): readonly AppRequest[] {
  assert.equal(request.source.kind, 'images');
  return request.source.kind === 'images' ? request.source.apps : [];
}

/** Asserts a usage error (exit 2) with `code` whose message matches `message`. */
async function refused(args: readonly string[], code: string, message: RegExp | string, files: Record<string, string> = {}): Promise<void> {
  await assert.rejects(parse(args, files), (error: unknown) => {
    assert.ok(isRockletError(error), String(error));
    assert.equal(error.code, code, error.message);
    assert.equal(error.exitCode, 2, error.message);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe('parseRunArgs: grammar', () => {
  it('takes pod flags before the first IMAGE and per-app flags, -- args and --- after each', async () => {
    const request = await parse([
      '--dir=/tmp/x', '--net=none', '--set-env=A=1', 'example.com/web:1.0', '--name=web', '--exec', '/bin/httpd', '--', '-f', '--port', '80', '--', 'x',
      '---', './db.aci', '--memory=64Mi', '--environment=B=2',
    ]);
    assert.equal(request.options.net, 'none');
    assert.deepEqual(request.options.setEnv, [{ name: 'A', value: '1' }]);
    const [web, db] = apps(request);
    assert.deepEqual(web, {
      image: 'example.com/web:1.0', name: 'web', exec: '/bin/httpd', args: ['-f', '--port', '80', '--', 'x'], environment: [], readOnlyRootfs: false, mounts: [],
    });
    assert.equal(db?.image, './db.aci');
    assert.equal(db?.memoryBytes, 64 * 2 ** 20);
    assert.deepEqual(db?.environment, [{ name: 'B', value: '2' }]);
    assert.equal(db?.args, undefined);
  });

  it('starts the next app at a word that is not a flag, and defaults to --net=default and crun', async () => {
    const request = await parse(['a.aci', '--readonly-rootfs', 'b.aci', '--user=web', '--group', '100']);
    assert.deepEqual(apps(request).map((app) => [app.image, app.readOnlyRootfs, app.user, app.group]), [['a.aci', true, undefined, undefined], ['b.aci', false, 'web', '100']]);
    assert.equal(request.options.net, 'default');
    assert.equal(request.options.stage1, 'crun');
    assert.equal(request.options.inheritEnv, false);
  });

  it('refuses pod flags after an IMAGE, unknown app flags, and a missing IMAGE', async () => {
    await refused(['a.aci', '--net=host'], 'ERR_FLAG_POSITION', '--net is a pod flag: it must come before the first IMAGE');
    await refused(['a.aci', '--exce=/bin/sh'], 'ERR_UNKNOWN_FLAG', 'unknown flag: --exce');
    await refused(['--net=host'], 'ERR_MISSING_ARGUMENT', 'must provide at least one image or specify the pod manifest');
    await refused(['a.aci', '---', '--name=x'], 'ERR_RUN_ARGS', /expected an IMAGE after "---"/);
    await refused(['a.aci', '--exec'], 'ERR_FLAG_VALUE', 'flag needs a value: --exec');
    await refused(['a.aci', '--name=Web_1'], 'ERR_FLAG_VALUE', 'invalid value "Web_1" for --name: not an AC name');
    await refused(['a.aci', '--working-dir=srv'], 'ERR_FLAG_VALUE', 'invalid value "srv" for --working-dir: must be an absolute path');
  });

  it('refuses IMAGE arguments and image-only flags beside --pod-manifest and --pod-file', async () => {
    const conflict = 'conflicting flags set with --pod-manifest (see --help)';
    await refused(['--pod-manifest=pod.json', 'a.aci'], 'ERR_FLAG_CONFLICT', conflict);
    await refused(['--pod-manifest=pod.json', '--volume=d,kind=empty'], 'ERR_FLAG_CONFLICT', conflict);
    await refused(['--pod-manifest=pod.json', '--set-env=A=1'], 'ERR_FLAG_CONFLICT', conflict);
    await refused(['--pod-manifest=pod.json', '--port=http:80'], 'ERR_FLAG_CONFLICT', conflict);
    await refused(['--pod-file=pod.yaml', '--inherit-env'], 'ERR_FLAG_CONFLICT', 'conflicting flags set with --pod-file (see --help)');
    await refused(['--pod-file=a.yaml', '--pod-manifest=b.json'], 'ERR_FLAG_CONFLICT', 'flags --pod-manifest and --pod-file are mutually exclusive');
    const request = await parse(['--pod-manifest=pod.json', '--net=host', '--hostname=h1']);
    assert.deepEqual(request.source, { kind: 'pod-manifest', path: 'pod.json' });
    assert.equal(request.options.net, 'host');
    assert.equal(request.options.explicitNet, true);
    assert.equal((await parse(['--pod-file=pod.yaml'])).options.explicitNet, undefined);
  });
});

describe('parseRunArgs: values', () => {
  it('reads quantities: --memory in bytes, --cpu in millicores', async () => {
    const [a, b] = apps(await parse(['a.aci', '--memory=128M', '--cpu=500m', '---', 'b.aci', '--memory=1Gi', '--cpu=2']));
    assert.deepEqual([a?.memoryBytes, a?.cpuMillicores, b?.memoryBytes, b?.cpuMillicores], [128e6, 500, 2 ** 30, 2000]);
  });

  it('refuses malformed quantities with the flag and the text', async () => {
    await refused(['a.aci', '--memory=12XB'], 'ERR_FLAG_VALUE', 'invalid value "12XB" for --memory: not a quantity');
    await refused(['a.aci', '--memory=-1M'], 'ERR_FLAG_VALUE', 'invalid value "-1M" for --memory: must be at least 1 byte');
    await refused(['a.aci', '--cpu=0'], 'ERR_FLAG_VALUE', /invalid value "0" for --cpu: must be at least 1m/);
    await refused(['a.aci', '--cpu=1K'], 'ERR_FLAG_VALUE', 'invalid value "1K" for --cpu: not a quantity');
  });

  it('reads capabilities with or without CAP_, in any case; refuses unknown ones and retain with remove', async () => {
    const [app] = apps(await parse(['a.aci', '--caps-retain=net_admin,CAP_CHOWN,Sys_Time']));
    assert.deepEqual(app?.capsRetain, ['CAP_NET_ADMIN', 'CAP_CHOWN', 'CAP_SYS_TIME']);
    await refused(['a.aci', '--caps-remove=CAP_PONIES'], 'ERR_FLAG_VALUE', /--caps-remove: unknown capability "CAP_PONIES"/);
    await refused(['a.aci', '--caps-retain=chown', '--caps-remove=kill'], 'ERR_FLAG_CONFLICT', /--caps-retain and --caps-remove are mutually exclusive/);
  });

  it('checks --oom-score-adj is an integer in -1000..1000', async () => {
    assert.equal(apps(await parse(['a.aci', '--oom-score-adj=-1000']))[0]?.oomScoreAdj, -1000);
    await refused(['a.aci', '--oom-score-adj=1001'], 'ERR_FLAG_VALUE', 'invalid value "1001" for --oom-score-adj: must be between -1000 and 1000');
    await refused(['a.aci', '--oom-score-adj=1.5'], 'ERR_FLAG_VALUE', 'invalid value "1.5" for --oom-score-adj: not an integer');
  });

  it('reads --set-env, --set-env-file (comments, blank lines) and refuses duplicates and bad lines', async () => {
    const files = { '/env': '# comment\n\nA=1\n; also a comment\nB = x=y\nEMPTY=\n' };
    const request = await parse(['--set-env-file=/env', '--set-env=C=3', 'a.aci'], files);
    assert.deepEqual(request.options.setEnvFile, [{ name: 'A', value: '1' }, { name: 'B', value: ' x=y' }, { name: 'EMPTY', value: '' }]);
    assert.deepEqual(request.options.setEnv, [{ name: 'C', value: '3' }]);
    await refused(['--set-env=A=1', '--set-env=A=2', 'a.aci'], 'ERR_FLAG_VALUE', '--set-env: A is set more than once');
    await refused(['--set-env=1A=x', 'a.aci'], 'ERR_FLAG_VALUE', 'invalid value "1A=x" for --set-env: "1A" is not a valid environment variable name');
    await refused(['--set-env-file=/bad', 'a.aci'], 'ERR_ENV_FILE', '/bad:2: expected NAME=VALUE, got "no equals sign"', { '/bad': 'A=1\nno equals sign\n' });
    await refused(['--set-env-file=/missing', 'a.aci'], 'ERR_ENV_FILE', 'cannot read --set-env-file /missing: no such file');
  });

  it('reads volumes and mounts; refuses bad kinds, relative sources and mounts of undefined volumes', async () => {
    const request = await parse([
      '--volume=data,kind=host,source=/srv/data,readOnly=true', '--volume', 'scratch,kind=empty,mode=0700,uid=10,gid=20',
      'a.aci', '--mount=volume=data,target=/var/data', '--mount=volume=scratch,target=cache',
    ]);
    assert.equal(request.source.kind, 'images');
    if (request.source.kind !== 'images') return;
    assert.deepEqual(request.source.volumes, [
      { name: 'data', kind: 'host', source: '/srv/data', readOnly: true, recursive: true },
      { name: 'scratch', kind: 'empty', mode: 0o700, uid: 10, gid: 20, readOnly: false },
    ]);
    assert.deepEqual(request.source.apps[0]?.mounts, [{ volume: 'data', target: '/var/data' }, { volume: 'scratch', target: 'cache' }]);
    await refused(['--volume=d,kind=nfs', 'a.aci'], 'ERR_FLAG_VALUE', /unknown kind "nfs"/);
    await refused(['--volume=d,kind=host,source=rel/p', 'a.aci'], 'ERR_FLAG_VALUE', /source "rel\/p" must be an absolute path/);
    await refused(['--volume=d,kind=host', 'a.aci'], 'ERR_FLAG_VALUE', /kind=host needs source=PATH/);
    await refused(['--volume=D,kind=empty', 'a.aci'], 'ERR_FLAG_VALUE', /volume name "D" is not an AC name/);
    await refused(['--volume=d,kind=empty', '--volume=d,kind=empty', 'a.aci'], 'ERR_FLAG_VALUE', '--volume: volume "d" is defined twice');
    await refused(['a.aci', '--mount=volume=nope,target=/x'], 'ERR_MOUNT_NO_VOLUME', '--mount of image a.aci names volume "nope", which no --volume defines');
  });

  it('reads ports and refuses them with --net=host or --net=none (rkt\'s message)', async () => {
    const request = await parse(['--port=http:8080', '--port=dns:127.0.0.1:5353', 'a.aci']);
    assert.deepEqual(request.options.ports, [{ name: 'http', hostPort: 8080 }, { name: 'dns', hostPort: 5353, hostIp: '127.0.0.1' }]);
    await refused(['--net=host', '--port=http:8080', 'a.aci'], 'ERR_FLAG_CONFLICT', '--port flag does not work with \'host\' networking');
    await refused(['--net=none', '--port=http:8080', 'a.aci'], 'ERR_FLAG_CONFLICT', '--port flag does not work with \'none\' networking');
    await refused(['--port=http:70000', 'a.aci'], 'ERR_FLAG_VALUE', /host port "70000" must be 1-65535/);
    await refused(['--port=http', 'a.aci'], 'ERR_FLAG_VALUE', /expected NAME:\[HOSTIP:\]HOSTPORT/);
    await refused(['--net=bridge0', 'a.aci'], 'ERR_FLAG_VALUE', /invalid value "bridge0" for --net/);
  });

  it('reads DNS and hosts flags, including host, and refuses host mixed with others', async () => {
    const request = await parse(['--dns=1.1.1.1', '--dns-search=example.com', '--dns-opt=ndots:2', '--dns-domain=corp', '--hosts-entry=10.0.0.5=db,db.local', 'a.aci']);
    assert.deepEqual(request.options.dns, { host: false, servers: ['1.1.1.1'], searches: ['example.com'], options: ['ndots:2'], domain: 'corp' });
    assert.deepEqual(request.options.hosts, { host: false, entries: [{ ip: '10.0.0.5', hostname: 'db' }, { ip: '10.0.0.5', hostname: 'db.local' }] });
    const host = await parse(['--dns=host', '--hosts-entry=host', 'a.aci']);
    assert.deepEqual([host.options.dns.host, host.options.hosts.host], [true, true]);
    await refused(['--dns=host', '--dns=8.8.8.8', 'a.aci'], 'ERR_FLAG_CONFLICT', /--dns=host cannot be combined/);
    await refused(['--dns=resolver', 'a.aci'], 'ERR_FLAG_VALUE', /not an IP address/);
    await refused(['--hosts-entry=db', 'a.aci'], 'ERR_FLAG_VALUE', /expected IP=HOST/);
  });

  it('applies a --mount before the first IMAGE to every app; an app\'s own --mount of the same target wins (rkt)', async () => {
    const request = await parse([
      '--volume=data,kind=host,source=/srv/data', '--volume=alt,kind=empty', '--mount=volume=data,target=/var/data',
      'a.aci', '---', 'b.aci', '--mount=volume=alt,target=/var/data/', '---', 'c.aci', '--mount=volume=alt,target=/cache',
    ]);
    assert.deepEqual(apps(request).map((app) => app.mounts), [
      [{ volume: 'data', target: '/var/data' }],
      [{ volume: 'alt', target: '/var/data/' }],
      [{ volume: 'alt', target: '/cache' }, { volume: 'data', target: '/var/data' }],
    ]);
    await refused(['--mount=volume=nope,target=/x', 'a.aci'], 'ERR_MOUNT_NO_VOLUME', '--mount names volume "nope", which no --volume defines');
    await refused(['--pod-manifest=pod.json', '--mount=volume=d,target=/x'], 'ERR_FLAG_CONFLICT', 'conflicting flags set with --pod-manifest (see --help)');
  });

  it('reads a bare --net as default (rkt), and --net followed by a mode as that mode', async () => {
    assert.equal((await parse(['--net', 'a.aci'])).options.net, 'default');
    assert.deepEqual(apps(await parse(['--net', 'a.aci'])).map((app) => app.image), ['a.aci']);
    assert.equal((await parse(['--net', '--hostname=h', 'a.aci'])).options.net, 'default');
    assert.equal((await parse(['--net', 'none', 'a.aci'])).options.net, 'none');
    assert.equal((await parse(['--hostname', 'net', '--net', 'host', 'a.aci'])).options.net, 'host');
    assert.equal((await parse(['--pod-manifest=pod.json', '--net'])).options.net, 'default');
    assert.equal((await parse(['--pod-manifest=pod.json', '--net'])).options.explicitNet, true);
  });

  it('refuses --pull-policy=never|update with --pod-manifest (rkt), allows new, and any policy with --pod-file', async () => {
    const conflict = 'conflicting flags set with --pod-manifest (see --help)';
    for (const policy of ['never', 'update']) {
      await assert.rejects(parse(['--pod-manifest=pod.json', `--pull-policy=${policy}`]), (error: unknown) => {
        assert.ok(isRockletError(error));
        assert.equal(error.message, conflict);
        assert.match(error.hint ?? '', new RegExp(`--pull-policy=${policy}`));
        return true;
      });
    }
    assert.equal((await parse(['--pod-manifest=pod.json', '--pull-policy=new'])).source.kind, 'pod-manifest');
    assert.equal((await parse(['--pod-file=pod.yaml', '--pull-policy=never'])).source.kind, 'pod-file');
  });

  it('allows one app with --stage1=fly', async () => {
    assert.equal((await parse(['--stage1=fly', 'a.aci'])).options.stage1, 'fly');
    await refused(['--stage1=fly', 'a.aci', 'b.aci'], 'ERR_FLAG_CONFLICT', '--stage1=fly runs exactly one app, got 2 images');
  });
});

describe('parseRunArgs: files', () => {
  let dir: TempDir;
  before(async () => {
    dir = await makeTempDir('run-args');
  });
  after(() => dir.remove());

  it('reads --set-env-file from disk by default', async () => {
    const file = path.join(dir.path, 'env');
    await writeFile(file, 'X=from-file\n');
    const request = await parseRunArgs([`--set-env-file=${file}`, 'a.aci'], { podFlags: PREPARE_FLAGS, command: 'run' });
    assert.deepEqual(request.options.setEnvFile, [{ name: 'X', value: 'from-file' }]);
  });
});
