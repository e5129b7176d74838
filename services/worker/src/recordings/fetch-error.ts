/**
 * Why a recording could not be fetched, as far as what to do next is concerned:
 * - `auth`: the platform refused our credentials (401/403, e.g. 1023006): a configuration problem
 *   of the app, so its other tasks wait too;
 * - `not_found`: the platform has no such recording (404);
 * - `gone`: the platform says the recording existed and was deleted (410);
 * - `transient`: worth another try later (5xx, 429, a network error, a timeout, a short body);
 * - `permanent`: no later try can succeed (other 4xx, nothing to ask for, no secret for the app).
 */
export type FetchErrorKind = 'auth' | 'not_found' | 'gone' | 'transient' | 'permanent';

export class RecordingFetchError extends Error {
  override readonly name = 'RecordingFetchError';
  readonly kind: FetchErrorKind;
  readonly status: number | undefined;
  constructor(kind: FetchErrorKind, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.status = options.status;
  }
}

/** The kind of an HTTP error status from the platform's API or the download address. */
export function kindOfStatus(status: number): FetchErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 410) return 'gone';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'transient';
  return 'permanent';
}

/** `resultcode resultdesc` of the platform's JSON error body, or the start of whatever it sent. */
export function describeErrorBody(text: string): string {
  try {
    const parsed = JSON.parse(text) as { resultcode?: unknown; resultdesc?: unknown };
    const scalar = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : null);
    const code = scalar(parsed.resultcode);
    const description = scalar(parsed.resultdesc);
    if (code !== null) return description === null ? code : `${code} ${description}`;
  } catch {
    // Not JSON: say what it was.
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}
