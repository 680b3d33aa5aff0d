/**
 * @module podfile/scope — what every validator gets: the diagnostic sink and the caller's options.
 */
import type { DiagnosticSink } from './diagnostics.js';

export interface PodFileOptions {
  /**
   * This machine's node name (its hostname). A Kubernetes `spec.nodeName` equal to it is
   * ignored with a warning; any other value is an error (formats.md §4 #32). Undefined: every
   * `spec.nodeName` is an error.
   */
  readonly nodeName?: string;
  /**
   * rocklet's own state (data dir, run dir, config dir, pod dir) that no hostPath may expose
   * writable (host-path-guard.ts). Undefined: the default locations.
   */
  readonly protectedHostPaths?: readonly ProtectedHostPath[];
}

/** A host path no container may write to, and what it is (for the message). */
export interface ProtectedHostPath {
  readonly path: string;
  readonly what: string;
}

export interface Scope {
  readonly sink: DiagnosticSink;
  readonly options: PodFileOptions;
}
