export { createMetricsRegistry } from './registry.ts';
export { createIngestMetrics, type IngestMetrics, type SpoolState } from './ingest.ts';
export { createWorkerMetrics, type WorkerMetrics } from './worker.ts';
export { registerQueueMetrics, type QueueSnapshot } from './queue.ts';
export {
  createRecordingMetrics,
  recordingDownloadOutcomes,
  type RecordingDownloadOutcome,
  type RecordingMetrics,
  type RecordingsSnapshot,
} from './recordings.ts';
