/**
 * @callpipe/replay — replays files of pushes and CDRs (manual re-sends, console exports, dumps)
 * through the live validation and exactly-once store, and re-derives stored calls with the
 * current model (`reprocessCalls`).
 */
export { replay, DEFAULT_BATCH_SIZE, WRITES_IN_FLIGHT, type ReplayOptions, type ReplayReporter } from './replay.ts';
export { resolveInputs, InputError, type ReplayInput } from './input.ts';
export { formats, type Format } from './detect-format.ts';
export { recordFromRow, type CsvHeader } from './csv-records.ts';
export { replayDeliveryId } from './delivery-id.ts';
export {
  exitCodeOf,
  formatProblem,
  formatRecordReport,
  formatSummary,
  recordStatuses,
  type FileProblem,
  type FileSummary,
  type ProgressSnapshot,
  type RecordReport,
  type RecordStatus,
  type ReplaySummary,
  type StoreCounts,
} from './report.ts';
export { createProgressRenderer, formatProgressLine, type ProgressRenderer } from './progress.ts';
export { reprocessCalls, type ReprocessFilter, type ReprocessOptions, type ReprocessResult } from './reprocess.ts';
