/**
 * @module pod/stage1/executor — the stage1 flavors behind one interface: run one prepared app
 * in the foreground and report how it ended. `crun` (default) is the full OCI runtime; `fly`
 * (fly.ts) is rkt's chroot-only flavor for privileged system pods and hosts without crun.
 */
import type { CommandStdio, RunCommandOptions } from './command.js';
import type { ContainerExit, CrunRuntime } from './crun.js';
import type { OciSpec } from './oci-spec.js';

export const STAGE1_FLAVORS = ['crun', 'fly'] as const;
export type Stage1Flavor = (typeof STAGE1_FLAVORS)[number];

/** A prepared app as an executor needs it (see prepare-app.ts). */
export interface ExecutableApp {
  /** Container id (crun) / process label (fly). */
  readonly id: string;
  /** The bundle directory holding config.json. */
  readonly bundle: string;
  readonly config: OciSpec;
}

/** Options of {@link Stage1Executor.run}. */
export interface ExecutorRunOptions {
  /** Default `inherit`. */
  readonly stdio?: CommandStdio;
  /** Descriptors passed in as fd 3, 4, … (the pod lock). */
  readonly extraFds?: readonly number[];
  /** Where stdout and stderr go (stdio must pipe them); see RunCommandOptions.output. */
  readonly output?: RunCommandOptions['output'];
}

/** Runs one prepared app to its end. */
export interface Stage1Executor {
  readonly flavor: Stage1Flavor;
  /** Resolves with the app's exit; rejects when the executor itself failed. */
  run(app: ExecutableApp, options?: ExecutorRunOptions): Promise<ContainerExit>;
}

/** The default flavor: `crun run` of the app's bundle. */
export class CrunExecutor implements Stage1Executor {
  readonly flavor = 'crun' as const;

  constructor(private readonly crun: CrunRuntime) {}

  run(app: ExecutableApp, options: ExecutorRunOptions = {}): Promise<ContainerExit> {
    return this.crun.run(app.id, {
      bundle: app.bundle,
      ...(options.stdio === undefined ? {} : { stdio: options.stdio }),
      ...(options.extraFds === undefined ? {} : { extraFds: options.extraFds }),
      ...(options.output === undefined ? {} : { output: options.output }),
    });
  }
}
