// Shared by the benches that time commands inside a test systemd (pod-run.mjs, run-latency.mjs).

/**
 * Source of a script run INSIDE the instance: argv[2] = JSON { variants: { label: argv }, rounds,
 * warmups, between: argv }. Variants alternate (rotating order each round, so none always goes
 * first), `between` runs after each round (e.g. gc); prints { label: [ms…] } as JSON.
 */
export const ALTERNATING_RUNNER = `
import { spawn } from 'node:child_process';
const { variants, rounds, warmups, between } = JSON.parse(process.argv[2]);
const run = (argv) => new Promise((resolve, reject) => {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  child.on('error', reject);
  child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(argv.join(' ') + ' exited ' + code + ': ' + err))));
});
const labels = Object.keys(variants);
const times = Object.fromEntries(labels.map((l) => [l, []]));
for (let round = -warmups; round < rounds; round++) {
  const order = labels.map((_, i) => labels[(i + Math.max(round, 0)) % labels.length]);
  for (const label of order) {
    const t0 = performance.now();
    await run(variants[label]);
    if (round >= 0) times[label].push(performance.now() - t0);
  }
  await run(between);
}
console.log(JSON.stringify(times));
`;

/** The median of a list of numbers. */
export const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
