// Spec §5.2 `ulFailReason` (disconnect point, CDRs); callers must accept unknown codes.

import { stateCodeDescriptions } from './state-codes.ts';

function recordingFailedRange(from: number, to: number): Array<[number, string]> {
  const entries: Array<[number, string]> = [];
  for (let code = from; code <= to; code++) {
    entries.push([code, 'Recording failed']);
  }
  return entries;
}

export const failReasonDescriptions: ReadonlyMap<number, string> = new Map<number, string>([
  [0, 'Normal hang-up after connect'],
  [100, 'Digit collection received nothing (press keys within 5 s after the notification ends)'],
  [501, 'Recording: creating the conference failed'],
  [502, 'Recording: creating the conference timed out'],
  [503, 'Recording: caller joining the conference failed'],
  [504, 'Recording: caller joining the conference timed out'],
  [505, 'Recording: adding the recording endpoint failed'],
  [506, 'Recording: adding the recording endpoint timed out'],
  [507, 'Starting the recording failed'],
  [508, 'Starting the recording timed out'],
  [509, 'Playing the recording notice tone failed'],
  [510, 'Playing the recording notice tone timed out'],
  [512, 'Call released due to recording VCU switchover'],
  [513, 'Call timed out'],
  [514, 'Ringing timed out'],
  [515, 'Remote user cancelled'],
  [516, 'Local user cancelled'],
  [517, 'Platform response timed out'],
  [518, 'Remote user call failed — analyse together with the Q.850 cause'],
  [519, 'Local user call failed (0XX response) — see Q.850 cause'],
  [520, 'Local user call failed (18X response) — see Q.850 cause'],
  [521, 'Remote side released before ringing'],
  [522, 'Not enough voice ports'],
  [524, 'Announcement file does not exist'],
  [526, 'Mute failed'],
  [527, 'Unmute failed'],
  [528, 'Call blocked: the dialled number lacks a permitted prefix'],
  [529, 'appkey does not exist'],
  [530, 'Caller hung up before the forward (B leg)'],
  [539, 'Recording flow unfinished; caller hung up'],
  [540, 'Recording flow unfinished; callee hung up'],
  [541, 'Re-negotiation with caller failed after callee answered'],
  [542, 'Recording timed out, call released'],
  [550, 'Local ringing failed'],
  [551, 'Click-to-call: local side got a 0XX message'],
  [552, 'Local user hung up while remote was ringing'],
  [553, 'Local user hung up before remote started ringing'],
  [1001, 'Agent hung up'],
  [1002, 'User hung up'],
  [1003, 'SP released via the switchboard release interface'],
  [1004, 'Agent blind-transferred and hung up after a click-to-call'],
  [2801, 'IVR playback failed'],
  [2802, 'IVR rule invalid'],
  [2803, 'IVR max key presses exceeded'],
  [2805, 'IVR outside service hours (1)'],
  [2806, 'IVR outside service hours (2)'],
  [2810, 'MRF not configured'],
  [2811, 'I-CSCF not configured'],
  [2812, 'Playback timed out'],
  [2825, 'Satisfaction survey ended (end tone configured)'],
  [2829, 'Extension busy or no answer'],
  [2831, 'Enterprise inbound licence limit'],
  [2837, 'Playback failed'],
  [2838, 'Released on INVITE timeout'],
  [2847, 'Switchboard: no agent available'],
  [2853, 'Agent unavailable, inbound refused'],
  [2863, 'Voicemail recording creation failed'],
  [2868, 'Enterprise service suspended'],
  [2871, 'Dynamic IVR timed out waiting for SP instruction'],
  ...recordingFailedRange(2901, 2914),
  [7001, 'Frequency control: developer'],
  [7002, 'Frequency control: application'],
  [7003, 'Frequency control: display number'],
  [7004, 'Callee blacklisted'],
  [7005, 'Caller blacklisted'],
  [7100, 'App info does not exist'],
  [7105, 'Business type mismatch'],
  [7106, 'App has no personal-number capability'],
  [7107, 'Security-control tone playback failed'],
  [7108, 'User status frozen'],
  [7109, 'Not enough voice ports'],
  [8000, 'Internal error'],
  [8001, 'User could not be connected (same explanation as stateCode 8001)'],
  [8106, 'Caller number does not exist'],
  [8107, 'Caller did not answer'],
  [8108, 'Caller busy (in a call, ringing, …)'],
  [8109, 'Caller temporarily unreachable'],
  [8110, 'Caller powered off (or flight mode / no network)'],
  [8111, 'Caller hung up or caller number suspended'],
]);

/**
 * Describes an `ulFailReason` code. Codes 8002..8105 were not fully retrieved
 * for this table and fall back to the `stateCode` table (spec §5.1); otherwise
 * 400..699 is the SIP response code itself when the far end gave no Q.850 cause.
 */
export function describeFailReason(code: number): string | null {
  const known = failReasonDescriptions.get(code);
  if (known !== undefined) {
    return known;
  }
  if (code >= 8002 && code <= 8105) {
    const stateText = stateCodeDescriptions.get(code);
    if (stateText !== undefined) {
      return stateText;
    }
  }
  if (Number.isInteger(code) && code >= 400 && code <= 699) {
    return `SIP response ${code} (no Q.850 cause from the far end)`;
  }
  return null;
}
