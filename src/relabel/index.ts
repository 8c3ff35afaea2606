/**
 * Public surface of the relabel engine (see engine.ts for the runtime contract, config.ts for configuration and
 * validation, regex.ts/re2.ts for Go RE2 compatibility).
 */
export {
  RELABEL_ACTIONS,
  DEFAULT_RELABEL,
  checkRelabelConfig,
  isValidLabelName,
  isValidTargetTemplate,
  relabelConfigIssues,
  relabelConfigSchema,
  relabelConfigSchemaFor,
  relabelConfigsSchema,
  withDefaults,
  type NameValidation,
  type RelabelAction,
  type RelabelConfig,
  type RelabelConfigInput,
  type RelabelConfigIssue,
  type RelabelSchemaOptions,
  type RelabelSemantics,
} from './config.ts';
export {
  applyRelabel,
  compileRelabel,
  explainRelabel,
  CompiledRelabel,
  CompiledRule,
  type RelabelOptions,
  type RelabelStep,
} from './engine.ts';
export { AnchoredRegex, compileAnchored, compileTemplate, Template, type Groups } from './regex.ts';
export { Re2SyntaxError, translateRe2, type Re2Translation } from './re2.ts';
