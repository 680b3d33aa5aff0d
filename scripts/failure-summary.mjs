// A node:test reporter that writes only the failed tests: file, test path, error and the first
// lines of its stack. run-tests.mjs prints what it wrote after the whole run, so a log that
// keeps only its tail (CI) still names what failed. Node loads reporters through their
// default export; this is the one module where we have one.
import path from 'node:path';

const MAX_ERROR_LINES = 40;

function describeError(error) {
  const cause = error?.cause ?? error;
  const text = cause instanceof Error ? (cause.stack ?? String(cause)) : String(cause);
  // Frames inside Node itself say nothing about the test.
  const lines = text.split('\n').filter((line) => !/^\s+at (?:.* \()?node:|^\s+at new Promise|^\s+at Array\.map/.test(line));
  const shown = lines.slice(0, MAX_ERROR_LINES);
  if (lines.length > shown.length) shown.push(`… ${lines.length - shown.length} more lines`);
  return shown.map((line) => `    ${line}`).join('\n');
}

export default async function* failureSummary(source) {
  const stack = [];
  const failures = [];
  for await (const event of source) {
    if (event.type === 'test:start') {
      stack[event.data.nesting] = event.data.name;
      stack.length = event.data.nesting + 1;
    } else if (event.type === 'test:fail') {
      const { data } = event;
      // A failed suite repeats its failed children; the leaves say what went wrong.
      if (data.details?.error?.failureType === 'subtestsFailed') continue;
      const names = [...stack.slice(0, data.nesting), data.name];
      const file = data.file ? path.relative(process.cwd(), data.file) : '(unknown file)';
      failures.push(`${file}\n  ${names.join(' › ')}\n${describeError(data.details?.error)}`);
    }
  }
  if (failures.length === 0) return;
  yield `\n# ${failures.length} failed test${failures.length === 1 ? '' : 's'}:\n\n`;
  for (const failure of failures) yield `${failure}\n\n`;
}
