/** The single queue every push goes through. */
export const PUSH_QUEUE_NAME = 'pushes';

/**
 * One HTTP push as the ingest saw it. The body is kept as received (text when it is UTF-8, base64
 * otherwise), so the worker — and a replay — can parse it again with the same model.
 */
export interface PushJobData {
  deliveryId: string;
  /** Ingest route or replay source, e.g. `http:/voicecall/fee`. */
  source: string;
  receivedAt: string;
  contentType: string | null;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  /** Set when the ingest refused the push: the worker only files it in `rejected_pushes`. */
  refusal: { code: string; message: string; bodyTruncated: boolean } | null;
}

export type PushJobName = 'status' | 'fee' | 'refused';
