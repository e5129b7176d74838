// Spec §5.1 `stateCode` (hang-up reason, status `disconnect` events); callers must accept unknown codes.

export const stateCodeDescriptions: ReadonlyMap<number, string> = new Map([
  [0, 'Hung up normally after the call was connected'],
  [7001, 'Call-frequency control at developer (account) level'],
  [7002, 'Call-frequency control at application level'],
  [7003, 'Call-frequency control on the display (fixed-line) number'],
  [7004, 'Callee is blacklisted'],
  [7108, 'User status frozen'],
  [7109, 'Not enough voice ports'],
  [8000, 'Internal error'],
  [
    8001,
    'User could not be connected — e.g. frequency control (notably with "95" numbers), line/carrier fault, or callee off/no answer/busy',
  ],
  [8002, 'Far end returned a failure announcement while connecting'],
  [8003, 'Ringing timed out'],
  [8004, 'User hung up while ringing'],
  [8005, 'TTS conversion failed'],
  [8006, 'Announcement file does not exist'],
  [8007, 'Playing announcement to the user failed'],
  [8008, 'Play-and-collect failed (digits must be entered within 5 s after the prompt ends)'],
  [8009, 'Calling user hung up before connection'],
  [8010, 'Released because the maximum call duration was reached'],
  [8012, 'Invalid app_key'],
  [8015, 'Recording the user failed'],
  [8017, 'Hang-up requested (user/SP instruction)'],
  [8018, 'No permission for the service'],
  [8020, 'Service exception'],
  [8100, 'Called number does not exist'],
  [8101, 'Callee did not answer'],
  [8102, 'Callee busy'],
  [8103, 'Callee temporarily unreachable'],
  [8104, 'Callee powered off'],
  [8105, 'Callee hung up or number suspended'],
  // Older variants (2018 copy), listed in the paragraph after table 5.1.
  [8013, 'Invalid personal-number call'],
  [8014, 'Invalid relationship-number call'],
  [8016, 'Relationship-number call direction not allowed'],
  [8019, 'Binding does not exist'],
  [8022, 'Invalid extension number'],
  [8106, 'Caller number does not exist'],
  [8107, 'Caller no answer'],
  [8108, 'Caller busy'],
  [8109, 'Caller temporarily unreachable'],
  [8110, 'Caller powered off'],
  [8111, 'Caller number suspended'],
]);

export function describeStateCode(code: number): string | null {
  return stateCodeDescriptions.get(code) ?? null;
}
