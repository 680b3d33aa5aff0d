// What systemd's own work costs as a host fills with pods, apart from rocklet: inside one test
// systemd, with 0, 1,000 and 3,000 (then 6,000) extra mounts in its mount namespace (each a
// `.mount` unit, as each pod's overlay rootfs and namespace binds are):
//
// - mount churn: systemd's CPU while 300 mount + unmount pairs happen at ~20 pairs/s (a pod
//   start burst mounts ~33 times a second); systemd re-reads /proc/self/mountinfo on each
//   change (rate-limited), so the cost grows with the table;
// - unit listings: systemd's CPU per ListUnitsByPatterns call with one pod's three patterns
//   against per ListUnitsByNames with its three names (`busctl call`, 400 each; a `GetUnit`
//   loop gives busctl's own share).
//
// Usage: npm run build && node bench/systemd-scale.mjs   (root)
import { readFile } from 'node:fs/promises';
import { bootTestSystemd } from '../dist/test/harness/index.js';
import { guardHarnessBench } from './lib/harness-guard.mjs';

await guardHarnessBench();
const sd = await bootTestSystemd();

async function ticks(pid) {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

let mounts = 0;
async function growMountTable(target) {
  if (target <= mounts) return;
  await sd.exec(['sh', '-c', `for i in $(seq ${mounts + 1} ${target}); do mkdir -p /run/bench-mt/$i; mount -t tmpfs t /run/bench-mt/$i; done`]);
  mounts = target;
  await new Promise((resolve) => setTimeout(resolve, 3000)); // systemd settles its mount units
}

const CALLS = 400;
function busctlLoop(method, signature, args) {
  return `i=0; while [ $i -lt ${CALLS} ]; do busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager ${method} ${signature} ${args} >/dev/null; i=$((i+1)); done`;
}

try {
  console.log(`systemd ${sd.mode} test instance; CPU of its PID 1 (1 tick = 10 ms)`);
  for (const target of [0, 1000, 3000, 6000]) {
    await growMountTable(target);
    const units = (await sd.exec(['sh', '-c', 'systemctl list-units --all --no-legend | wc -l'])).stdout.trim();
    if (target <= 3000) {
      const t0 = await ticks(sd.pid);
      const w0 = Date.now();
      await sd.exec(['sh', '-c', 'mkdir -p /run/bench-churn; i=0; while [ $i -lt 300 ]; do mount -t tmpfs t /run/bench-churn; umount /run/bench-churn; sleep 0.033; i=$((i+1)); done']);
      const seconds = (Date.now() - w0) / 1000;
      console.log(`  +${target} mounts (${units} units): mount churn costs systemd ${(((await ticks(sd.pid)) - t0) / seconds).toFixed(1)} % of a core over ${seconds.toFixed(1)} s`);
    }
    for (const [label, script] of [
      ['busctl alone (GetUnit)', busctlLoop('GetUnit', 's', 'init.scope')],
      ['ListUnitsByPatterns (3 patterns)', busctlLoop('ListUnitsByPatterns', 'asas', "0 3 'rocklet-web.slice' 'rocklet-web.service' 'rocklet-web_*.service'")],
      ['ListUnitsByNames (3 names)', busctlLoop('ListUnitsByNames', 'as', "3 'rocklet-web.slice' 'rocklet-web.service' 'rocklet-web_main.service'")],
    ]) {
      const t0 = await ticks(sd.pid);
      await sd.exec(['sh', '-c', script]);
      console.log(`  +${target} mounts (${units} units): ${label}: systemd ${((((await ticks(sd.pid)) - t0) * 10) / CALLS).toFixed(2)} ms per call`);
    }
  }
} finally {
  await sd.stop();
}
