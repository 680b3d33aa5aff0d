/**
 * @module podfile/diagnostics — what is wrong with a pod file, where, and how to say it.
 *
 * A Diagnostic carries the file, a 1-based line:column (0:0 when the problem has no place in
 * the text, e.g. an unreadable file), the field path (`spec.containers[0].image`, empty for
 * the whole file) and a message a person can act on. Warnings use the same shape.
 */
import type { Position } from './node.js';

export const SEVERITIES = ['error', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Diagnostic {
  readonly file: string;
  /** 1-based; 0 when there is no position (file-level problems such as EACCES). */
  readonly line: number;
  /** 1-based, in UTF-16 code units; 0 when there is no position. */
  readonly column: number;
  /** Field path such as `spec.containers[0].ports[1].hostPort`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
  readonly severity: Severity;
}

/**
 * `FILE:LINE:COL: path: message` (warnings: `… path: warning: message`, unless `showSeverity`
 * is false because the caller marks warnings itself); parts that are unknown are left out.
 */
export function formatDiagnostic(diagnostic: Diagnostic, options: { readonly showSeverity?: boolean } = {}): string {
  const where = diagnostic.line > 0 ? `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}` : diagnostic.file;
  const path = diagnostic.path === '' ? '' : ` ${diagnostic.path}:`;
  const severity = diagnostic.severity === 'warning' && options.showSeverity !== false ? ' warning:' : '';
  return `${where}:${path}${severity} ${diagnostic.message}`;
}

/** Where nothing better is known: the start of the file. */
export const FILE_START: Position = { line: 1, column: 1 };
/** For problems that have no place in the text. */
export const NO_POSITION: Position = { line: 0, column: 0 };

/** Collects the diagnostics of one file, in the order found. */
export class DiagnosticSink {
  readonly file: string;
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];

  constructor(file: string) {
    this.file = file;
  }

  error(at: Position, path: string, message: string): void {
    this.errors.push({ file: this.file, line: at.line, column: at.column, path, message, severity: 'error' });
  }

  warning(at: Position, path: string, message: string): void {
    this.warnings.push({ file: this.file, line: at.line, column: at.column, path, message, severity: 'warning' });
  }

  /** Number of errors so far; compare before/after a step to see whether it added any. */
  get errorCount(): number {
    return this.errors.length;
  }
}

/** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(rows - 1, cols - 1);
}

/**
 * The candidate `word` was most likely meant to be: same letters in another case first
 * (keys are case-sensitive), else the nearest within a third of the word's length.
 */
export function closestWord(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const sameCase = candidates.find((candidate) => candidate.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` or the empty string. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const near = closestWord(word, candidates);
  if (near === undefined) return '';
  const caseOnly = near.toLowerCase() === word.toLowerCase();
  return caseOnly ? ` (did you mean "${near}"? keys are case-sensitive)` : ` (did you mean "${near}"?)`;
}
