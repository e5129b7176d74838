import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { contentChunks, InputReadError } from './input.ts';

async function content(bytes: Buffer, pieceSize = 1_000_000): Promise<{ text: string; rawBytes: number }> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += pieceSize) pieces.push(bytes.subarray(i, i + pieceSize));
  let rawBytes = 0;
  const out: Buffer[] = [];
  for await (const chunk of contentChunks(Readable.from(pieces), (count) => (rawBytes += count))) out.push(chunk);
  return { text: Buffer.concat(out).toString(), rawBytes };
}

describe('contentChunks', () => {
  const text = '{"sessionId":"a"}\n'.repeat(1000);

  it('when the file is plain, then its bytes pass through and are counted', async () => {
    expect(await content(Buffer.from(text), 7)).toEqual({ text, rawBytes: text.length });
  });

  it('when the file is gzip, then it is decompressed and the compressed bytes are counted', async () => {
    const compressed = gzipSync(text);
    expect(await content(compressed, 1)).toEqual({ text, rawBytes: compressed.length });
  });

  it('when the file starts with a UTF-8 byte order mark, then the mark is dropped, gzipped or not', async () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('sessionId\n')]);
    expect((await content(withBom, 1)).text).toBe('sessionId\n');
    expect((await content(gzipSync(withBom))).text).toBe('sessionId\n');
  });

  it('when the gzip data is cut short, then the read fails with a message saying it is truncated', async () => {
    const compressed = gzipSync(text);
    await expect(content(compressed.subarray(0, compressed.length - 10))).rejects.toThrow(InputReadError);
    await expect(content(compressed.subarray(0, compressed.length - 10))).rejects.toThrow(/^truncated gzip/);
  });

  it('when the gzip data is corrupt, then the read fails with a message saying so', async () => {
    const compressed = gzipSync(text);
    const corrupt = Buffer.concat([compressed.subarray(0, 12), Buffer.alloc(200, 0x55)]);
    await expect(content(corrupt)).rejects.toThrow(/corrupt gzip data/);
  });
});
