import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { execCommand } from './exec.js';
import { createNetns } from './netns.js';

async function netnsNames(): Promise<string[]> {
  const list = await execCommand(['ip', 'netns', 'list']);
  return list.stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
}

describe('createNetns', () => {
  it('creates a prefixed namespace with lo up and only lo, and removes it completely', async (t) => {
    const ns = await createNetns();
    t.after(() => ns.remove());
    assert.match(ns.name, new RegExp(`^rltest-${process.pid}-\\d+$`));
    assert.ok((await netnsNames()).includes(ns.name));
    const links = await ns.exec(['ip', '-o', 'link', 'show']);
    assert.equal(links.code, 0, links.stderr);
    const lines = links.stdout.trim().split('\n');
    assert.equal(lines.length, 1, links.stdout);
    assert.match(lines[0] ?? '', /^1: lo: <LOOPBACK,UP,LOWER_UP>/);
    await ns.remove();
    await ns.remove();
    assert.ok(!(await netnsNames()).includes(ns.name));
    await assert.rejects(access(`/run/netns/${ns.name}`), { code: 'ENOENT' });
  });
});
