import type { IncomingMessage } from 'node:http';

export type BodyReadResult = { kind: 'complete'; bytes: Buffer } | { kind: 'too_large'; prefix: Buffer; declaredLength: number | null };

/**
 * Reads the raw request bytes whatever the Content-Type claims (the platform sends a byte stream).
 * Stops reading past the limit and keeps what was read, so a rejected body can still be inspected.
 */
export function readBody(request: IncomingMessage, limitBytes: number): Promise<BodyReadResult> {
  const declared = request.headers['content-length'] === undefined ? null : Number(request.headers['content-length']);
  // Even when Content-Length already says too large, the first `limitBytes` are read and kept:
  // they are what an operator needs to see who sent what.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      chunks.push(chunk);
      if (length > limitBytes) {
        cleanup();
        request.pause();
        resolve({ kind: 'too_large', prefix: Buffer.concat(chunks).subarray(0, limitBytes), declaredLength: declared });
      }
    };
    const onEnd = () => {
      cleanup();
      resolve({ kind: 'complete', bytes: Buffer.concat(chunks, length) });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onAborted = () => {
      cleanup();
      reject(new Error('client aborted the request'));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('aborted', onAborted);
  });
}
