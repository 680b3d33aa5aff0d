/**
 * @module cli/commands/validate — `rocklet validate FILE…`: checks pod files without running
 * anything. Text output (stdout): `FILE: ok` per valid file, else one line per error
 * `FILE:LINE:COL: field.path: message`; warnings go to stderr. `--format json` prints one
 * object `{valid, files: [{file, valid, pod?, specHash?, errors, warnings}]}`. `--print FILE`
 * prints the normalised PodSpec (what rocklet would run) as JSON: references to ConfigMaps and
 * Secrets, never their values. A reference to an object that neither the file nor
 * `<config-dir>/configmaps|secrets/` holds is an error (unless optional); `specHash` is the
 * effective hash the daemon compares (spec + referenced objects).
 *
 * A DIR argument is a provisioning bundle (a pod directory shipped to many machines): its pod
 * files are read as the daemon reads them (`checkBundle`, daemon/bundle.ts) and checked against
 * each other: `FILE: conflict: REASON (on machines with LABELS)` for two files that some machine
 * would both run with the same pod name or hostPort. Names the daemon ignores are warnings.
 *
 * Exit codes: 0 when every file is valid and no bundle has a conflict, 1 when any file is
 * invalid (an unreadable file is an invalid file, with the errno in its message) or a bundle
 * has a conflict, 2 for usage errors, 254 when rocklet itself fails.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { hostname } from 'node:os';
import { checkBundle } from '../../daemon/index.js';
import type { BundleReport } from '../../daemon/index.js';
import type { ConfigLookup, Diagnostic, PodFileResult } from '../../podfile/index.js';
import { bindPodFileResult, formatDiagnostic, podConfigRefs, readPodFile, readSharedConfigObjects } from '../../podfile/index.js';
import { loadSeccompProfiles, rockletStatePaths } from '../../pod/index.js';
import { errnoCode, isRockletError, usageError } from '../../util/index.js';
import type { CommandContext, CommandHandler } from '../command.js';

/** Exit code when at least one file is invalid (distinct from rocklet's own failure, 254). */
export const EXIT_INVALID = 1;

function diagnosticJson(diagnostic: Diagnostic): Record<string, unknown> {
  const { file: _file, ...rest } = diagnostic;
  return rest;
}

function resultJson(result: PodFileResult): Record<string, unknown> {
  return {
    file: result.file,
    valid: result.ok,
    ...(result.identity === undefined ? {} : { pod: result.identity }),
    ...(result.ok ? { specHash: result.hash } : {}),
    errors: result.ok ? [] : result.errors.map(diagnosticJson),
    warnings: result.warnings.map(diagnosticJson),
  };
}

function printText(ctx: CommandContext, result: PodFileResult): void {
  // Warnings go to stderr as `validate: warning: FILE:LINE:COL: path: message` (the frame's prefix).
  for (const warning of result.warnings) ctx.out.warn(formatDiagnostic(warning, { showSeverity: false }));
  if (result.ok) ctx.out.stdout(`${result.file}: ok\n`);
  else ctx.out.stdout(result.errors.map((error) => `${formatDiagnostic(error)}\n`).join(''));
}

function stringify(ctx: CommandContext, value: unknown): string {
  return `${JSON.stringify(value, null, ctx.globals.format === 'json' ? undefined : 2)}\n`;
}

async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isDirectory();
  } catch (error) {
    // A missing file is reported as an invalid file by readPodFile, with its errno.
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

function labelsText(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  return pairs.length === 0 ? 'on every machine' : `on machines with ${pairs.join(', ')}`;
}

function bundleValid(report: BundleReport): boolean {
  return report.conflicts.length === 0 && report.files.every((file) => file.error === undefined);
}

function printBundleText(ctx: CommandContext, report: BundleReport): void {
  for (const { name, reason } of report.ignored) ctx.out.warn(`${path.join(report.dir, name)}: ignored: ${reason}`);
  if (report.files.length === 0) ctx.out.warn(`${report.dir}: no pod files (*.yaml, *.yml, *.json) in this directory`);
  for (const file of report.files) {
    const name = path.join(report.dir, file.key);
    const conflicts = report.conflicts.filter((conflict) => conflict.file === file.key);
    if (file.error !== undefined) ctx.out.stdout(`${file.error.startsWith(name) ? file.error : `${name}: ${file.error}`}\n`);
    for (const conflict of conflicts) ctx.out.stdout(`${name}: conflict: ${conflict.reason} ${labelsText(conflict.labels)}\n`);
    if (file.error === undefined && conflicts.length === 0) ctx.out.stdout(`${name}: ok\n`);
  }
}

function bundleJson(report: BundleReport): Record<string, unknown> {
  return {
    dir: report.dir,
    valid: bundleValid(report),
    files: report.files.map((file) => ({ file: path.join(report.dir, file.key), pod: file.pod, valid: file.error === undefined, ...(file.error === undefined ? {} : { error: file.error }) })),
    conflicts: report.conflicts.map((c) => ({ file: path.join(report.dir, c.file), other: path.join(report.dir, c.other), pod: c.pod, reason: c.reason, labels: c.labels })),
    ignored: report.ignored.map((i) => ({ name: path.join(report.dir, i.name), reason: i.reason })),
  };
}

/** A valid file whose seccomp Localhost profile is missing or invalid is invalid (the pod would be refused). */
async function withSeccompProfiles(ctx: CommandContext, result: PodFileResult): Promise<PodFileResult> {
  if (!result.ok) return result;
  try {
    await loadSeccompProfiles(ctx.globals.configDir, result.spec);
    return result;
  } catch (error) {
    if (!isRockletError(error)) throw error;
    const diagnostic: Diagnostic = { file: result.file, line: 0, column: 0, path: 'spec', severity: 'error', message: error.message };
    const { spec: _spec, hash: _hash, ok: _ok, ...rest } = result;
    return { ...rest, ok: false, errors: [diagnostic] };
  }
}

export const handler: CommandHandler = async (ctx) => {
  const files = ctx.args;
  if (files.length === 0) {
    throw usageError('ERR_MISSING_ARGUMENT', 'validate needs at least one pod file or bundle directory', { hint: 'rocklet validate /etc/pods/*.yaml, or rocklet validate examples/fleet/pods' });
  }
  const print = ctx.flags.boolean('print');
  if (print && files.length !== 1) throw usageError('ERR_TOO_MANY_ARGUMENTS', `--print takes exactly one file, got ${files.length}`);
  const options = { nodeName: hostname(), protectedHostPaths: rockletStatePaths({ dataDir: ctx.globals.dir, configDir: ctx.globals.configDir }) };
  const results: PodFileResult[] = [];
  const bundles: BundleReport[] = [];
  // Bound to the ConfigMaps and Secrets beside each pod and in <config-dir>: a missing one is an error, as in the daemon.
  let shared: ConfigLookup | undefined;
  for (const file of files) {
    if (await isDirectory(file)) {
      if (print) throw usageError('ERR_FLAG_VALUE', `--print takes a pod file, and ${file} is a directory`);
      bundles.push(await checkBundle(file, options.nodeName));
    } else {
      const result = await readPodFile(file, options);
      if (result.ok && podConfigRefs(result.spec).length > 0) shared ??= await readSharedConfigObjects(ctx.globals.configDir);
      results.push(await withSeccompProfiles(ctx, shared === undefined ? result : bindPodFileResult(result, shared)));
    }
  }
  const json = ctx.globals.format === 'json' || ctx.globals.format === 'json-pretty';
  const [first] = results;
  if (print && first !== undefined && first.ok) {
    for (const warning of first.warnings) ctx.out.warn(formatDiagnostic(warning, { showSeverity: false }));
    ctx.out.stdout(stringify(ctx, first.spec));
    return 0;
  }
  const valid = results.every((result) => result.ok) && bundles.every(bundleValid);
  if (json) {
    ctx.out.stdout(stringify(ctx, { valid, files: results.map(resultJson), ...(bundles.length === 0 ? {} : { bundles: bundles.map(bundleJson) }) }));
  } else {
    for (const result of results) printText(ctx, result);
    for (const bundle of bundles) printBundleText(ctx, bundle);
  }
  return valid ? 0 : EXIT_INVALID;
};
