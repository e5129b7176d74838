import { describe, expect, it } from 'vitest';
import { compareCdrVersions, supersedesCdr } from './cdr-precedence.ts';

describe('CDR version precedence', () => {
  it('when one version has more fields set, then it wins whatever its content key', () => {
    expect(supersedesCdr({ fieldCount: 12, recordKey: 'a' }, { fieldCount: 11, recordKey: 'z' })).toBe(true);
    expect(supersedesCdr({ fieldCount: 11, recordKey: 'z' }, { fieldCount: 12, recordKey: 'a' })).toBe(false);
  });

  it('when both have as many fields, then the larger content key wins, and a version never replaces itself', () => {
    expect(supersedesCdr({ fieldCount: 9, recordKey: 'b' }, { fieldCount: 9, recordKey: 'a' })).toBe(true);
    expect(supersedesCdr({ fieldCount: 9, recordKey: 'a' }, { fieldCount: 9, recordKey: 'b' })).toBe(false);
    expect(supersedesCdr({ fieldCount: 9, recordKey: 'a' }, { fieldCount: 9, recordKey: 'a' })).toBe(false);
    expect(compareCdrVersions({ fieldCount: 9, recordKey: 'a' }, { fieldCount: 9, recordKey: 'a' })).toBe(0);
  });
});
