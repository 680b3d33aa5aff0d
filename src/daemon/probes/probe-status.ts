/**
 * @module daemon/probes/probe-status — containers' probe summaries as one short text for the
 * PROBES column of `rocklet pods --wide`: `web=ready db=starting(startup 2/30)`.
 */
import type { ProbeSummary } from '../../pod/index.js';

function describeOne(summary: ProbeSummary): string {
  const failing = summary.failing === undefined ? '' : `(${summary.failing.probe} ${summary.failing.count}/${summary.failing.threshold})`;
  if (summary.killed) return `restarting${failing}`;
  if (!summary.started) return `starting${failing}`;
  return `${summary.ready ? 'ready' : 'not-ready'}${failing}`;
}

export function describeProbes(summaries: ReadonlyMap<string, ProbeSummary>): string {
  return [...summaries].map(([app, summary]) => `${app}=${describeOne(summary)}`).join(' ');
}
