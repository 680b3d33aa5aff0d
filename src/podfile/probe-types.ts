/**
 * @module podfile/probe-types — a container's probes and lifecycle hooks as the runtime runs
 * them: Kubernetes' defaults applied, named ports resolved to numbers against the container's
 * own `ports`. Plain JSON data: the pod plan carries them as they are.
 */

/** One HTTP header of an httpGet action. */
export interface HttpHeader {
  readonly name: string;
  readonly value: string;
}

/** Run a command inside the container (as `rocklet enter` does); exit 0 is success. */
export interface ExecAction {
  readonly kind: 'exec';
  readonly command: readonly string[];
}

/** GET `scheme://host:port/path` from inside the pod's network namespace; 200–399 is success. */
export interface HttpGetAction {
  readonly kind: 'httpGet';
  readonly path: string;
  readonly port: number;
  /** Absent: the pod's own address (inside its network namespace). */
  readonly host?: string;
  /** HTTPS is not verified, as kubelet does not verify it. */
  readonly scheme: 'HTTP' | 'HTTPS';
  readonly headers: readonly HttpHeader[];
}

/** Open a TCP connection from inside the pod's network namespace; connected is success. */
export interface TcpSocketAction {
  readonly kind: 'tcpSocket';
  readonly port: number;
  readonly host?: string;
}

/**
 * Call the gRPC Health Checking Protocol (`grpc.health.v1.Health/Check`, HTTP/2 without TLS) on
 * the pod's address; a SERVING answer is success (kubelet's grpc probe).
 */
export interface GrpcAction {
  readonly kind: 'grpc';
  readonly port: number;
  /** The `service` of the HealthCheckRequest; '' asks about the server as a whole. */
  readonly service: string;
}

/** Hooks only: wait this long. */
export interface SleepAction {
  readonly kind: 'sleep';
  readonly seconds: number;
}

export type ProbeAction = ExecAction | HttpGetAction | TcpSocketAction | GrpcAction;
export type HookAction = ExecAction | HttpGetAction | SleepAction;

/** Kubernetes' probe timing fields, defaults applied (all in seconds). */
export interface ProbeTiming {
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
  /** Liveness and startup only: the grace period of a kill this probe causes (else the pod's). */
  readonly terminationGracePeriodSeconds?: number;
}

export interface ProbeSpec extends ProbeTiming {
  readonly action: ProbeAction;
}

export type ProbeKind = 'startup' | 'liveness' | 'readiness';
export const PROBE_KINDS: readonly ProbeKind[] = ['startup', 'liveness', 'readiness'];

/** A container's probes; absent kinds are not probed (Kubernetes: always succeed). */
export type ContainerProbes = Partial<Readonly<Record<ProbeKind, ProbeSpec>>>;

/** Kubernetes lifecycle hooks. */
export interface LifecycleHooks {
  /** Runs right after the container starts; it counts as started only when this succeeded. */
  readonly postStart?: HookAction;
  /** Runs before the container is sent SIGTERM, within its grace period. */
  readonly preStop?: HookAction;
}

export type HookName = keyof LifecycleHooks;
