import { describe, expect, it } from 'vitest';
import { batchJob, pushesOf, pushJob, rejectionOf, type LegacyPushJobData, type PushJobData } from './jobs.ts';

const push = (deliveryId: string): PushJobData => ({
  deliveryId,
  source: 'test',
  receivedAt: '2024-06-11T02:30:15.000Z',
  contentType: null,
  body: '{}',
  bodyEncoding: 'utf8',
  rejection: null,
});

describe('pushesOf', () => {
  it('gives a single-push job as one push under the job name', () => {
    expect(pushesOf('fee', push('a'))).toEqual([{ name: 'fee', data: push('a') }]);
  });

  it('unpacks a batch job', () => {
    const pushes = [
      { name: 'status' as const, data: push('a') },
      { name: 'rejected' as const, data: push('b') },
    ];
    expect(pushesOf('batch', { pushes })).toEqual(pushes);
  });

  it('when a job was queued or spooled before the rename (name refused, field refusal), then it is read as rejected', () => {
    const rejection = { code: 'invalid_json', message: 'not JSON', bodyTruncated: true };
    const { rejection: _current, ...rest } = push('old');
    const old: LegacyPushJobData = { ...rest, refusal: rejection };
    const current = { name: 'rejected', data: { ...push('old'), rejection } };
    expect(pushesOf('refused', old)).toEqual([current]);
    expect(pushesOf('batch', { pushes: [{ name: 'refused', data: old }] } as never)).toEqual([current]);
    expect(rejectionOf(old)).toEqual(rejection);
    expect(pushesOf('fee', push('new'))).toEqual([{ name: 'fee', data: push('new') }]);
  });

  it('rejects a job named batch that carries a single push (a corrupt job), instead of guessing its kind', () => {
    expect(() => pushesOf('batch', push('a'))).toThrow('a batch job without pushes');
  });
});

describe('pushJob', () => {
  it('keys a push of its own by its delivery id, so queueing it twice makes one job', () => {
    expect(pushJob({ name: 'status', data: push('d-1') })).toEqual({ name: 'status', data: push('d-1'), opts: { jobId: 'd-1' } });
  });

  it('packs several pushes into one batch job without a job id', () => {
    const pushes = [
      { name: 'fee' as const, data: push('a') },
      { name: 'status' as const, data: push('b') },
    ];
    expect(batchJob(pushes)).toEqual({ name: 'batch', data: { pushes } });
  });
});
