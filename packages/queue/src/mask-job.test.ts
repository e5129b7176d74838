import { describe, expect, it } from 'vitest';
import { batchJob } from './jobs.ts';
import { maskJobData } from './mask-job.ts';

const push = (body: string, bodyEncoding: 'utf8' | 'base64' = 'utf8') => ({
  deliveryId: 'd1',
  source: 'http:/voicecall/events',
  receivedAt: '2024-06-11T04:00:00.000Z',
  contentType: null,
  body,
  bodyEncoding,
  rejection: null,
});

describe('maskJobData', () => {
  it('when a batch job holds raw pushes, then every number in every body is masked and the rest is kept', () => {
    const data = batchJob([
      { name: 'status', data: push('{"statusInfo":{"caller":"+8613800001234","called":"13912345678"}}') },
      { name: 'fee', data: push('{"feeLst":[{"calleeNum":"+8613700005678"}]}') },
    ]).data;
    const masked = JSON.stringify(maskJobData(data));
    expect(masked).not.toMatch(/13800001234|12345678|13700005678/);
    expect(masked).toContain('+86138****1234');
    expect(masked).toContain('139****5678');
    expect(maskJobData(data)).toMatchObject({ pushes: [{ name: 'status', data: { deliveryId: 'd1' } }, { name: 'fee' }] });
  });

  it('when a body is base64 (not UTF-8), then the numbers in its bytes are masked too', () => {
    const bytes = Buffer.concat([Buffer.from('{"caller":"+8613800001234","x":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    const masked = maskJobData(push(bytes.toString('base64'), 'base64')) as { body: string };
    const decoded = Buffer.from(masked.body, 'base64');
    expect(decoded.toString('latin1')).toContain('+86138****1234');
    expect(decoded.includes(0xff)).toBe(true);
  });
});
