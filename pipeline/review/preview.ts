// Pull-request previews, the pure part: read what Pulumi says it would change (from the engine port, a
// saved `pulumi preview --json` digest, or an engine event log), boil it down to a summary per stack,
// and render that as one GitHub comment. No I/O here; pipeline/cli/commands/preview.ts runs things.
// The code lives in pipeline/review/preview/, one concern per file; this is its public face.
export type {
  ChangeOp,
  Diagnostic,
  ParsedPreview,
  PreviewSummary,
  PropertyChange,
  RawStep,
  ResourceChange,
  Risk,
  StackPreview,
  StateLike,
} from './preview/model';
export { fromEngine, parsePreviewDocument } from './preview/read';
export { stripColor } from './preview/diagnostics';
export { riskOf } from './preview/risk';
export { summarise, unknownStepMessage, unknownSteps } from './preview/summary';
export { DEFAULT_MAX_CHARS, PREVIEW_MARKER, renderMarkdown, type RenderOptions } from './preview/markdown';
export { MAX_ATTENTION_ROWS, MAX_GROUP_ROWS, MAX_PROPERTIES } from './preview/stackSection';
export { code, escapeHtml, fenced } from './preview/markdownSyntax';
export { renderText } from './preview/terminal';
