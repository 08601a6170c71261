/** The spec room's public face: parse, validate, resolve an aloft.yaml. */
export * from './schema.js';
export { parseSpec, loadSpecFile, type ParseOptions } from './parse.js';
export { SpecError, fieldPath, type SpecErrorLocation } from './errors.js';
export { parseDuration, formatDurationShort, DurationError } from './duration.js';
export { nearest, didYouMean, editDistance } from './suggest.js';
export { parseGpuRequirement, parseMinNumber, RequirementError, type GpuRequirement } from './resources.js';
export {
  resolveSpec,
  DEFAULT_WAKE_TIMEOUT_MS,
  DEFAULT_PORTS,
  DEFAULT_HEALTH,
  DEFAULT_DEVBOX_USER,
  type ResolvedSpec,
  type ResolvedService,
  type ResolvedOllama,
  type ResolvedDevbox,
  type ResolvedApp,
  type ResolvedResources,
  type ResolvedPlacement,
  type ResolvedLifecycle,
  type ResolvedAccess,
} from './defaults.js';
export { PROVIDER_NAMES } from './check.js';
export { classifySshKey, loadSshPublicKeys, type SshKeyEntry } from './ssh-keys.js';
