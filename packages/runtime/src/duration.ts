const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(s|m|h|d)/g;

/**
 * A duration as people write it on a command line or in a variable: `7h`, `90m`, `1h30m`, `2d`,
 * `45s`. Returns milliseconds, or null for anything else (no bare numbers: the unit is never guessed).
 */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '') return null;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(PART)) {
    if (match.index !== consumed) return null;
    consumed += match[0].length;
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  if (consumed !== trimmed.length || !Number.isFinite(total)) return null;
  return Math.round(total);
}

/** `7h`, `1h30m`, `45s`: the inverse of parseDuration for whole seconds, largest units first. */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms / 1_000);
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
