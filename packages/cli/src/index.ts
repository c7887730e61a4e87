export { type Command, type Invocation, type OptionSpec } from './command.js';
export { CliError, type CliErrorCode, type ErrorReport, EXIT, type ExitCode } from './errors.js';
export { type FormatOptions, formatValueReport } from './format.js';
export {
  checkSignatures,
  type EncodedValueReport,
  type InspectOptions,
  inspectTx,
  inspectValue,
  MAX_PAYLOAD_DEPTH,
  type PayloadReport,
  PREFIX_TYPES,
  type SignatureCheck,
  type SignatureReport,
  type SignedTxReport,
  type SignerReport,
  type TxReport,
  type UnsignedTxReport,
  type ValueReport,
} from './inspect.js';
export { type CliIo, MAX_LINE_LENGTH, type OverlongLine, processIo, readLines } from './io.js';
export { COMMANDS, mainHelp, run, VERSION } from './run.js';
