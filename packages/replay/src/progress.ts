import { formatBytes } from './bytes.ts';
import type { ProgressSnapshot } from './report.ts';

export interface ProgressRenderer {
  update(snapshot: ProgressSnapshot): void;
  /** Ends the progress display (a terminal's updating line gets its line break). */
  finish(): void;
}

/**
 * On a terminal, one line redrawn in place at most every `terminalIntervalMs`; elsewhere (CI, a
 * log file) a plain line every `quietIntervalMs`, so logs stay readable.
 */
export function createProgressRenderer(options: {
  write: (text: string) => void;
  isTTY: boolean;
  terminalIntervalMs?: number;
  quietIntervalMs?: number;
  now?: () => number;
}): ProgressRenderer {
  const now = options.now ?? (() => performance.now());
  const interval = options.isTTY ? (options.terminalIntervalMs ?? 100) : (options.quietIntervalMs ?? 10_000);
  let last = now();
  let drawn = false;
  return {
    update(snapshot) {
      const at = now();
      if (at - last < interval) return;
      last = at;
      if (options.isTTY) {
        options.write(`\r\u001b[2K${formatProgressLine(snapshot)}`);
        drawn = true;
      } else {
        options.write(`${formatProgressLine(snapshot)}\n`);
      }
    },
    finish() {
      if (drawn) options.write('\r\u001b[2K');
      drawn = false;
    },
  };
}

export function formatProgressLine(snapshot: ProgressSnapshot): string {
  const seconds = snapshot.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(snapshot.records / seconds) : 0;
  const parts = [
    `${snapshot.phase === 'check' ? 'checking' : snapshot.phase === 'dry-run' ? 'dry run' : 'replaying'} ${snapshot.file}`,
    `${snapshot.records.toLocaleString('en-US')} records`,
    `${rate.toLocaleString('en-US')}/s`,
  ];
  if (snapshot.totalBytes !== null && snapshot.totalBytes > 0) {
    const fraction = Math.min(1, snapshot.bytesRead / snapshot.totalBytes);
    parts.push(
      `${bar(fraction)} ${formatBytes(snapshot.bytesRead)} / ${formatBytes(snapshot.totalBytes)} (${Math.floor(fraction * 100)}%)`,
    );
    if (fraction > 0 && seconds > 0) parts.push(`ETA ${clock((seconds / fraction) * (1 - fraction))}`);
  } else {
    parts.push(`${formatBytes(snapshot.bytesRead)} read`);
  }
  parts.push(`elapsed ${clock(seconds)}`);
  return parts.join(' · ');
}

function bar(fraction: number, width = 20): string {
  const full = Math.round(fraction * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

function clock(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
}
