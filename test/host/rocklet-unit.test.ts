/** Unit: rocklet.service as the private systemd runs it keeps units/rocklet.service's settings. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ROCKLET_SERVICE_SETTINGS, rockletServiceUnit } from '../../src/host/index.js';

const UNIT_FILE = fileURLToPath(new URL('../../../units/rocklet.service', import.meta.url));

/** The [Service] lines of a unit file, comments and blank lines dropped. */
function serviceLines(text: string): string[] {
  const section = text.split(/^\[/m).find((part) => part.startsWith('Service]')) ?? '';
  return section.split('\n').slice(1).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

describe('host/rocklet-unit', () => {
  it('has every [Service] setting of units/rocklet.service but ExecStart', async () => {
    const installed = serviceLines(await readFile(UNIT_FILE, 'utf8')).filter((l) => !l.startsWith('ExecStart='));
    assert.deepEqual([...ROCKLET_SERVICE_SETTINGS].sort(), installed.sort());
  });

  it('runs the given command line, quoting words with spaces', () => {
    const text = rockletServiceUnit(['/usr/bin/node', '/opt/my rocklet/main.js', 'daemon', '--pod-dir=/etc/pods']);
    assert.match(text, /^ExecStart=\/usr\/bin\/node "\/opt\/my rocklet\/main.js" daemon --pod-dir=\/etc\/pods$/m);
    assert.match(text, /^Type=notify$/m);
    assert.doesNotMatch(text, /ROCKLET_CODE_CACHE/);
  });

  it('adds the environment it is given, quoted where systemd needs it', () => {
    const text = rockletServiceUnit(['/usr/bin/node', '/opt/rocklet/main.js', 'daemon'], { ROCKLET_CODE_CACHE: '/var/tmp/my cache' });
    assert.match(text, /^Environment="ROCKLET_CODE_CACHE=\/var\/tmp\/my cache"$/m);
    assert.match(text, /^Environment="NODE_OPTIONS=--max-old-space-size=96 --max-semi-space-size=2"$/m);
  });
});
