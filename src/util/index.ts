/**
 * @module util — leaf helpers shared by every layer: the error shape, durations,
 * atomic files and locks. Imports nothing from other layers.
 */
export {
  EXIT_FAILURE,
  EXIT_USAGE,
  ERROR_CATEGORIES,
  RockletError,
  isRockletError,
  hasErrorCode,
  isErrorCategory,
  usageError,
  invalidArgument,
  notFound,
  alreadyExists,
  failedPrecondition,
  conflict,
  permissionDenied,
  verificationFailed,
  unavailable,
  runtimeFailure,
  internalError,
  errnoCode,
  causeChain,
  assertNever,
} from './errors.js';
export type { ErrorCategory, RockletErrorOptions } from './errors.js';
export { INSECURE_FEATURES, INSECURE_OPTION_WORDS, parseInsecureOptions } from './insecure-options.js';
export type { InsecureFeature, InsecureOptions } from './insecure-options.js';
export { writeFileAtomic, writeJsonAtomic, renameDurable, fsyncDir, isAtomicTempName } from './atomic-file.js';
export type { AtomicWriteOptions } from './atomic-file.js';
export { LOCK_MODES, tryLockFile, lockFile, withLock } from './lock.js';
export type { LockMode, FileLock, LockOptions } from './lock.js';
export { parseDuration, formatDuration } from './duration.js';
export { readTextIfExists } from './read-if-exists.js';
export { MOUNT_FLAGS, mountFs, unmountFs, isMountRoot, bindNamespaces, ofdTryLock, ofdUnlock, sdNotify, setUpVethPair, deleteLink, linkState, spawnHolder, netnsSocket, spawnCaptured, reapChild } from './linux-sys.js';
export type { NamespaceFiles, LockRange, VethPairSpec, LinkState, CapturedChild } from './linux-sys.js';
export { probeEngine } from './probe-engine.js';
export type { ProbeEngine, EngineProbeSpec, EngineProbeAction, EngineTiming, EngineResult, EngineStats, EngineHandle } from './probe-engine.js';
export { CONFIG_FILE_NAME, readConfigFile, describeYamlValue } from './config-file.js';
export { loadYaml, yamlLib } from './yaml-lib.js';
export type { ConfigFile } from './config-file.js';
