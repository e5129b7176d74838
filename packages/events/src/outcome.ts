/**
 * Hang-up codes that mean the platform or the account failed the call, as opposed to a person not
 * answering, being busy or unreachable (spec §5.1, §5.2).
 */
const PLATFORM_FAILURE_CODES = new Set([8000, 8005, 8006, 8007, 8012, 8015, 8018, 8020]);

export function isPlatformFailure(code: number | null): boolean {
  if (code === null) return false;
  return (code >= 7000 && code < 8000) || PLATFORM_FAILURE_CODES.has(code);
}
