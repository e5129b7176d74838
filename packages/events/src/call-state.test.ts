import { describe, expect, it } from 'vitest';
import { callStateRank, isStateBefore } from './call-state.ts';
import { callStates } from './derive-call.ts';

describe('call state order', () => {
  it('ranks unknown < dialing < ringing < answered < ended', () => {
    const ordered = ['unknown', 'dialing', 'ringing', 'answered', 'ended'] as const;
    expect(ordered.map(callStateRank)).toEqual([0, 1, 2, 3, 4]);
  });

  it('when the stored call reached further than an event, then the event lies before it, and never the other way round', () => {
    expect(isStateBefore('ringing', 'answered')).toBe(true);
    expect(isStateBefore('unknown', 'dialing')).toBe(true);
    expect(isStateBefore('answered', 'ringing')).toBe(false);
    for (const state of callStates) expect(isStateBefore(state, state)).toBe(false);
  });
});
