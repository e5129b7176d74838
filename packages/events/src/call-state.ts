import { callStates, type CallState } from './derive-call.ts';

/**
 * How far a call has got: `callStates` lists the states in the order a call passes them
 * (unknown < dialing < ringing < answered < ended), and the derived state never moves back.
 */
export function callStateRank(state: CallState): number {
  return callStates.indexOf(state);
}

/**
 * Whether `state` lies before `reached`: an event whose own facts only get the call to `state`
 * arrived late when the stored call had already reached further.
 */
export function isStateBefore(state: CallState, reached: CallState): boolean {
  return callStateRank(state) < callStateRank(reached);
}
