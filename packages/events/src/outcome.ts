/**
 * Codes that mean the platform or the account failed the call, as opposed to a person not answering,
 * being busy or unreachable. The two tables number things differently (spec §5.1 stateCode of the
 * disconnect event, §5.2 ulFailReason of the CDR), so each has its own set.
 */
const PLATFORM_STATE_CODES = new Set([8000, 8005, 8006, 8007, 8012, 8015, 8018, 8020]);
const PLATFORM_FAIL_REASONS = new Set([
  501, 502, 503, 504, 505, 506, 507, 508, 509, 510, 512, 517, 522, 524, 526, 527, 528, 529, 541, 542, 2801, 2802, 2810, 2811, 2812, 2831,
  2837, 2838, 2847, 2853, 2863, 2868, 2871, 8000, 8005, 8006, 8007, 8012, 8015, 8018, 8020,
]);

/** 7xxx are frequency control, blacklists, frozen users and port shortages in both tables. */
function isControlCode(code: number): boolean {
  return code >= 7000 && code < 8000;
}

export function isPlatformStateCode(code: number | null): boolean {
  return code !== null && (isControlCode(code) || PLATFORM_STATE_CODES.has(code));
}

export function isPlatformFailReason(code: number | null): boolean {
  return code !== null && (isControlCode(code) || (code >= 2901 && code <= 2914) || PLATFORM_FAIL_REASONS.has(code));
}
