import { describe, expect, it } from 'vitest';
import { createNumberHasher, protectNumbersInText, protectPushNumbers } from './number-protection.ts';

const hash = createNumberHasher('a-long-enough-test-key');

describe('number protection', () => {
  it('hashes every number field of a status push and a CDR push, keeping everything else', () => {
    const status = JSON.parse(
      protectPushNumbers(
        JSON.stringify({ eventType: 'callout', statusInfo: { sessionId: 's', caller: '+8657188880001', called: '+8613800000001' } }),
        hash,
      ),
    ) as { statusInfo: unknown };
    expect(status.statusInfo).toEqual({ sessionId: 's', caller: hash('+8657188880001'), called: hash('+8613800000001') });
    const fee = JSON.parse(
      protectPushNumbers(
        JSON.stringify({
          eventType: 'fee',
          feeLst: [
            {
              sessionId: 's',
              callerNum: '+8657188880001',
              calleeNum: '+8613800000001',
              fwdDstNum: '+8613800000002',
              bindNum: '+8657188880000',
            },
          ],
        }),
        hash,
      ),
    ) as { feeLst: unknown[] };
    expect(fee.feeLst[0]).toEqual({
      sessionId: 's',
      callerNum: hash('+8657188880001'),
      calleeNum: hash('+8613800000001'),
      fwdDstNum: hash('+8613800000002'),
      bindNum: '+8657188880000',
    });
  });

  it('is deterministic per key and differs between keys', () => {
    expect(hash('+8613800000001')).toBe(hash('+8613800000001'));
    expect(hash('+8613800000001')).toMatch(/^h:[0-9a-f]{24}$/);
    expect(createNumberHasher('another-key-entirely')('+8613800000001')).not.toBe(hash('+8613800000001'));
  });

  it('when the body is not JSON, then number-like runs in the text are hashed', () => {
    expect(protectNumbersInText('garbage +8613800000001 and 13912345678', hash)).not.toMatch(/\+86\d|139\d{8}/);
  });

  it('when a body was protected already, then protecting it again changes nothing (no hash of a hash)', () => {
    const body = JSON.stringify({
      eventType: 'fee',
      feeLst: [{ sessionId: 's', callerNum: '+8657188880001', calleeNum: 13800000001, fwdDstNum: '057188880002' }],
    });
    const once = protectPushNumbers(body, hash);
    expect(once).not.toBe(body);
    expect(protectPushNumbers(once, hash)).toBe(once);
    expect(protectNumbersInText(once, hash)).toBe(once);
    // Only the exact token shape is spared: a look-alike is still a value to hash.
    const lookAlike = JSON.stringify({
      eventType: 'callout',
      statusInfo: { sessionId: 's', caller: 'h:1380000000', called: 'H:' + 'a'.repeat(24) },
    });
    const status = JSON.parse(protectPushNumbers(lookAlike, hash)) as { statusInfo: Record<string, string> };
    expect(status.statusInfo).toEqual({ sessionId: 's', caller: hash('h:1380000000'), called: hash('H:' + 'a'.repeat(24)) });
  });
});
