/**
 * e2e: every pod file in `examples/` runs under the daemon, as written (issue 12's "the examples
 * each run under the daemon"). Offline, so their images come from where a site without Internet
 * access would take them: config.yaml's `registries:` mirrors docker.io and registry.example.com
 * to a docker-registry inside the test systemd (busybox-based stand-ins: "nginx" is busybox
 * httpd serving its document root), and the appc example's `example.com/redis` is an ACI in the
 * store. Only node-agent.yaml is changed on the way: its image digest is the stand-in's (no
 * other image can have the digest it names). The pods must reach Running and do what the file
 * says: nginx serves the hostPath site on host port 8080, web-and-logger's init container
 * writes the page that web serves on 127.0.0.1:8000, node-agent runs only once machine.yaml
 * says role=edge and sees the host's /proc, redis listens on its host port.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { buildAci } from '../../src/image/index.js';
import { DaemonFixture } from '../daemon/fixture.js';
import type { Registry } from '../harness/index.js';
import { buildBusyboxRootfs, startRegistry, waitFor } from '../harness/index.js';
import { buildOciImage, pushImage, setCommand } from '../harness/oci-image.js';

const INNER = '127.0.0.1:5000';
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

/** The daemon's structured log lines (pino JSON; the journal's `-o cat` lines of systemd itself are not). */
function logLines(journal: string): { level: number; time: number; action?: string; pod?: string; retryInMs?: number }[] {
  return journal.split('\n').filter((line) => line.startsWith('{"level":')).map((line) => JSON.parse(line) as { level: number; time: number; action?: string; pod?: string; retryInMs?: number });
}

describe('e2e: the examples/ pod files under the daemon', () => {
  let d: DaemonFixture;
  let registry: Registry;
  let agentDigest = '';

  /** What `url` answers inside the test systemd's network namespace. */
  const get = async (url: string): Promise<string | undefined> => {
    const result = await d.fx.exec(['curl', '-sf', '-m', '2', url]);
    return result.code === 0 ? result.stdout : undefined;
  };

  before(async () => {
    d = await DaemonFixture.create('e2e-daemon-examples');
    registry = await startRegistry();
    const layout = path.join(d.fx.tmp.path, 'layout');
    await buildOciImage(layout, { tag: 'base' });
    await setCommand(layout, 'base', { entrypoint: ['/usr/sbin/httpd', '-f', '-p', '80', '-h', '/usr/share/nginx/html'], cmd: [], newTag: 'nginx' });
    await setCommand(layout, 'base', { entrypoint: ['/bin/sh', '-c'], cmd: ['test -r /host/proc/1/status && echo agent sees the host; exec sleep infinity'], newTag: 'agent' });
    await pushImage(layout, 'nginx', `${registry.host}/library/nginx:1.27`);
    // Docker's busybox: Cmd "sh", no Entrypoint, /usr/sbin (httpd) on PATH.
    await setCommand(layout, 'base', { entrypoint: [], cmd: ['sh'], env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], newTag: 'busybox' });
    await pushImage(layout, 'busybox', `${registry.host}/library/busybox:1.36`);
    await pushImage(layout, 'agent', `${registry.host}/ops/agent:stand-in`);
    const manifest = await fetch(`http://${registry.host}/v2/ops/agent/manifests/stand-in`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    agentDigest = manifest.headers.get('docker-content-digest') ?? '';
    assert.match(agentDigest, /^sha256:[0-9a-f]{64}$/);
    // The same storage, served where the daemon can reach it.
    assert.equal(await d.serveRegistryInside(registry), INNER);
    await writeFile(path.join(d.configDir, 'config.yaml'), [
      'registries:',
      `  "${INNER}": {insecure: true}`,
      // A mirror is reached as its registry is configured: insecure allows the plain-HTTP one.
      `  docker.io: {insecure: true, mirrors: ["${INNER}"]}`,
      `  registry.example.com: {insecure: true, mirrors: ["${INNER}"]}`, '',
    ].join('\n'));
    // These stand-ins are not signed: accept what comes through the mirrors, refuse the rest.
    await writeFile(path.join(d.configDir, 'policy.json'), JSON.stringify({
      default: [{ type: 'reject' }],
      transports: { docker: { 'docker.io': [{ type: 'insecureAcceptAnything' }], 'registry.example.com': [{ type: 'insecureAcceptAnything' }] } },
    }));
    // example.com/redis for the appc example: busybox with a stand-in redis-server.
    const aciDir = path.join(d.fx.tmp.path, 'redis-aci');
    await buildBusyboxRootfs(path.join(aciDir, 'rootfs'));
    await mkdir(path.join(aciDir, 'rootfs', 'usr', 'bin'), { recursive: true });
    await writeFile(path.join(aciDir, 'rootfs', 'usr', 'bin', 'redis-server'), '#!/bin/sh\necho "stand-in redis-server $*"\nexec nc -ll -p 6379 -e /usr/bin/pong\n', { mode: 0o755 });
    await writeFile(path.join(aciDir, 'rootfs', 'usr', 'bin', 'pong'), '#!/bin/sh\necho +PONG\n', { mode: 0o755 });
    await writeFile(path.join(aciDir, 'manifest'), JSON.stringify({
      acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/redis',
      labels: [{ name: 'version', value: '7.2' }, { name: 'os', value: 'linux' }, { name: 'arch', value: 'amd64' }],
      app: { exec: ['/usr/bin/redis-server'], user: '999', group: '999' },
    }));
    const aci = path.join(d.fx.tmp.path, 'redis.aci');
    await buildAci(aciDir, aci, { overwrite: true });
    const fetched = await d.rocklet(['--insecure-options=image', 'fetch', aci]);
    assert.equal(fetched.code, 0, fetched.stderr);
    // nginx.yaml's hostPath: a tmpfs over /srv inside the test systemd's mount namespace only.
    const site = await d.fx.exec(['sh', '-c', 'mkdir -p /srv && mount -t tmpfs rltest-srv /srv && mkdir /srv/www && echo "hello from the site" > /srv/www/index.html']);
    assert.equal(site.code, 0, site.stderr);
    // The fixture's busybox ACI would stand in for docker.io/library/busybox:1.36, but an ACI's
    // exec plays the entrypoint, and web-and-logger's logger gives only `args`, as one does for
    // Docker's busybox (Cmd "sh", no Entrypoint). Removed, the mirror's stand-in is pulled.
    const removed = await d.rocklet(['image', 'rm', d.busyboxId]);
    assert.equal(removed.code, 0, removed.stderr);
    const daemon = await d.startDaemon();
    assert.equal(daemon.code, 0, daemon.stderr);
  });
  after(async () => {
    await d?.dispose();
    await registry?.stop();
  });

  const example = (name: string): Promise<string> => readFile(path.join(EXAMPLES, name), 'utf8');

  it('nginx.yaml: pulled through the docker.io mirror, serves the hostPath site on host port 8080', async () => {
    await d.writePod('nginx.yaml', await example('nginx.yaml'));
    await d.waitForRow('nginx.yaml', (r) => r.state === 'Running', 90_000);
    const page = await waitFor(() => get('http://127.0.0.1:8080/'), { timeoutMs: 15_000, intervalMs: 200 });
    assert.equal(page, 'hello from the site\n');
  });

  // Its rocklet.io/oom-score-adj of -100 once made crun fail ("write to /proc/self/oom_score_adj:
  // Permission denied") where the host's bounding set lacks CAP_SYS_RESOURCE; the units now carry
  // OOMScoreAdjust= (pod/runtime/oom-score.ts), which systemd applies where the kernel allows it.
  it('web-and-logger.yaml: the init container writes the page web serves on 127.0.0.1:8000; logger logs', async () => {
    await d.writePod('web-and-logger.yaml', await example('web-and-logger.yaml'));
    const row = await waitFor(async () => {
      const found = await d.row('web-and-logger.yaml');
      return found?.state === 'Running' && found.ready?.ready === 2 ? found : found?.state === 'Failed' ? found : undefined;
    }, { timeoutMs: 90_000, intervalMs: 200 });
    const journals = async (): Promise<string> => (await Promise.all(['prepare', 'web', 'logger'].map((app) => d.fx.sd.journal(`rocklet-web-and-logger_${app}.service`)))).join('\n---\n');
    assert.equal(row?.state, 'Running', `${JSON.stringify(row)}\n${await journals()}`);
    // Running with both ready can be a moment between a crash-looping container's restarts:
    // the logger must have logged (a date) and not restarted.
    const logged = await waitFor(async () => (/\d\d:\d\d:\d\d/.test(await d.fx.sd.journal('rocklet-web-and-logger_logger.service')) ? true : undefined), { timeoutMs: 30_000, intervalMs: 200 });
    assert.ok(logged, await journals());
    assert.equal((await d.unitProps('rocklet-web-and-logger_logger.service', ['NRestarts'])).NRestarts, '0', await journals());
    const page = await waitFor(() => get('http://127.0.0.1:8000/'), { timeoutMs: 15_000, intervalMs: 200 });
    assert.equal(page, 'hello from web-and-logger\n');
    const props = await d.unitProps('rocklet-web-and-logger_web.service', ['OOMScoreAdjust']);
    assert.equal(props.OOMScoreAdjust, '-100');
  });

  it('node-agent.yaml: skipped until machine.yaml says role=edge, then runs on the host network and sees the host /proc', async () => {
    const text = (await example('node-agent.yaml')).replace(/@sha256:[0-9a-f]{64}/, `@${agentDigest}`);
    await d.writePod('node-agent.yaml', text);
    await d.waitForRow('node-agent.yaml', (r) => r.state === 'Skipped');
    await writeFile(path.join(d.configDir, 'machine.yaml'), 'labels:\n  role: edge\n');
    await d.waitForRow('node-agent.yaml', (r) => r.state === 'Running', 90_000);
    const journal = await waitFor(async () => {
      const shown = await d.fx.sd.journal('rocklet-node-agent_agent.service');
      return shown.includes('agent sees the host') ? shown : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200 });
    assert.ok(journal !== undefined, await d.fx.sd.journal('rocklet-node-agent_agent.service'));
  });

  it('appc-redis.json: the appc pod manifest runs its ACI with its volume and host port', async () => {
    await d.writePod('appc-redis.json', await example('appc-redis.json'));
    const row = await d.waitForRow('appc-redis.json', (r) => r.state === 'Running', 90_000);
    const unit = `rocklet-${row.pod ?? ''}_redis.service`;
    const journal = await waitFor(async () => {
      const shown = await d.fx.sd.journal(unit);
      return shown.includes('stand-in redis-server --port 6379') ? shown : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200 });
    assert.ok(journal !== undefined, await d.fx.sd.journal(unit));
    const pong = await waitFor(async () => {
      const answer = await d.fx.exec(['sh', '-c', 'echo PING | busybox nc -w 2 127.0.0.1 6379']);
      return answer.stdout.includes('+PONG') ? answer.stdout : undefined;
    }, { timeoutMs: 15_000, intervalMs: 300 });
    assert.ok(pong !== undefined, 'the stand-in answers on host port 6379');
  });
  it('SIGHUP re-reads config.yaml: a pull that failed for want of a mirror is retried at once, a broken config.yaml is refused and the last good one kept', async () => {
    const configFile = path.join(d.configDir, 'config.yaml');
    const good = await readFile(configFile, 'utf8');
    const reload = async (): Promise<void> => {
      const hup = await d.fx.exec(['systemctl', 'kill', '--signal=SIGHUP', 'rocklet.service']);
      assert.equal(hup.code, 0, hup.stderr);
    };
    // Without its mirror, registry.example.com is a name nobody resolves in here.
    await writeFile(configFile, good.split('\n').filter((line) => !line.includes('registry.example.com')).join('\n'));
    await reload();
    const pod = [
      'apiVersion: v1', 'kind: Pod', 'metadata: {name: reload}', 'spec:', '  hostNetwork: true', '  terminationGracePeriodSeconds: 1',
      '  containers:', '  - name: main', '    image: registry.example.com/library/busybox:1.36', "    command: [/bin/sleep, '1000']", '',
    ].join('\n');
    await d.writePod('reload.yaml', pod);
    const failed = await d.waitForRow('reload.yaml', (r) => r.state === 'Failed', 60_000);
    assert.match(failed.reason ?? '', /registry\.example\.com/, 'the reason names the registry it could not pull from');
    // A broken config.yaml: logged, the settings without the mirror stay, the pod keeps failing.
    await writeFile(configFile, 'registries: [not, a, mapping]\n');
    await reload();
    await waitFor(async () => ((await d.daemonLog()).includes('config.yaml not reloaded') ? true : undefined), { timeoutMs: 15_000, intervalMs: 200 });
    assert.match(await d.daemonLog(), /config\.yaml not reloaded, the previous fetch settings stay: .*registries/);
    // The fix, then SIGHUP: the pod is retried at once, not when its back-off ends.
    await writeFile(configFile, good);
    const before = logLines(await d.daemonLog()).length;
    await reload();
    await d.waitForRow('reload.yaml', (r) => r.state === 'Running', 60_000);
    // The journal may not have the daemon's last lines yet.
    const lines = await waitFor(async () => {
      const all = logLines(await d.daemonLog());
      return all.slice(before).some((l) => l.pod === 'reload' && l.action === 'start') ? all : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200 }) ?? logLines(await d.daemonLog());
    const reloaded = lines.slice(before).find((l) => l.action === 'reload' && l.level === 30);
    // The failure whose back-off the SIGHUP cut short: the last one logged before the reload
    // (the journal may not have had it yet when `before` was counted).
    const lastFailure = lines.filter((l) => l.pod === 'reload' && l.action === 'failed' && reloaded !== undefined && l.time <= reloaded.time).at(-1);
    // A back-off retry can fire (and fail again) just before the SIGHUP: the retry that counts
    // is the first start after the reload. It ran with the reloaded settings: only the mirror
    // they name has the image, and the pod is Running.
    const restarted = lines.slice(before).find((l) => l.pod === 'reload' && l.action === 'start' && reloaded !== undefined && l.time >= reloaded.time);
    assert.ok(lastFailure !== undefined && reloaded !== undefined && restarted !== undefined, JSON.stringify(lines.slice(before)));
    // The retry came with the SIGHUP, before the back-off ended, unless the back-off had already
    // ended and its own retry was under way when the SIGHUP came (then that one is waited for).
    const inFlight = lines.some((l) => l.pod === 'reload' && l.action === 'start' && l.time > lastFailure.time && l.time < reloaded.time);
    assert.ok(inFlight || restarted.time < lastFailure.time + Number(lastFailure.retryInMs), 'the retry came with the SIGHUP, before the back-off ended');
    await rm(path.join(d.podDir, 'reload.yaml'));
    await waitFor(async () => ((await d.row('reload.yaml')) === undefined ? true : undefined), { timeoutMs: 60_000, intervalMs: 200 });
  });
});
