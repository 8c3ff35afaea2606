/**
 * The OTTL subset otel-bridge understands (filter processor conditions): tokenizer (lexer.ts), parser (parser.ts)
 * and the compiler/evaluator for the metric and datapoint contexts (compile.ts). Anything outside the subset is a
 * config-time OttlError naming the unsupported part and its 1-based character position.
 */
export { OttlError, tokenize, type Token } from './lexer.ts';
export { parseCondition, type Node } from './parser.ts';
export { compare, compileCondition, ENUMS, OttlRuntimeError, type CompiledCondition, type OttlContextName, type OttlTarget } from './compile.ts';
