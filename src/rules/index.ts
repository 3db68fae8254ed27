/*
 * The rules library's public surface. One line per piece; no logic here.
 */
export { RuleError, type RuleErrorKind, type RuleErrorLocation } from './errors.js';
export * from './values.js';
export { MODIFIERS, applyModifiers, type ItemFlags } from './modifiers.js';
export { parseCondition, resolveOfTarget, type ConditionNode } from './condition.js';
export { parseDetection, type Detection, type FieldItem, type Selection } from './detection.js';
export { logSourceText, type LogSource } from './logsource.js';
export {
  parseRuleText,
  type SigmaRule,
  type SigmaFilter,
  type SigmaCorrelation,
  type SigmaDocument,
} from './rule.js';
export { Mapping, BUILTIN_MAPPING_DIR, readPath, type MappingEntry } from './mapping.js';
export {
  compileRule,
  compileFilter,
  matches,
  EventView,
  LEVEL_SEVERITY,
  type CompiledRule,
  type CompileOptions,
} from './compile.js';
export {
  SigmaDetector,
  buildAlert,
  matchesAlerts,
  DEFAULT_MAX_CHAIN_DEPTH,
  type RuleExplanation,
  type SigmaDetectorOptions,
} from './detector.js';
export {
  compileCorrelations,
  parseTimespan,
  CORRELATION_TYPES,
  type CompiledCorrelation,
  type CorrelationType,
  type CorrelationRef,
  type CompiledCondition,
  type RuleExtension,
} from './correlation.js';
export {
  CorrelationEngine,
  DEFAULT_MAX_GROUPS,
  DEFAULT_MAX_EVENTS,
  DEFAULT_MAX_ENTRIES,
  type CorrelationEngineOptions,
  type CorrelationMemory,
} from './correlation-engine.js';
export {
  alertToEvent,
  correlationAlert,
  ALERT_SOURCE,
  type AlertEvent,
  type CorrelationHit,
} from './correlation-alert.js';
export {
  loadRules,
  ruleFiles,
  type LoadOptions,
  type LoadedRules,
  type InactiveRule,
} from './loader.js';

export { compileCorpus, type CorpusReport, type CorpusFailure } from './corpus.js';
export {
  findRuleTests,
  runRuleTests,
  formatRuleTestReport,
  ruleFileOf,
  ruleTestFileSchema,
  type RuleTestOptions,
  type RuleTestReport,
  type RuleTestResult,
  type RuleTestStatus,
  type RuleTestFile,
  type RuleTestSample,
} from './rule-tests.js';
export {
  ruleOverrideSchema,
  applyOverrides,
  dropDisabled,
  loadRulesWithOverrides,
  overridesByRule,
  type RuleOverride,
  type AppliedOverride,
  type OverrideResult,
  type OverrideLoadOptions,
} from './overrides.js';
