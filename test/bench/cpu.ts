import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Pids of processes whose command name is `name` (e.g. every postgres backend). */
export function pidsNamed(name: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * CPU used by groups of processes between start() and stop(). Short-lived processes (a postgres
 * backend that exits) would be missed by a before/after difference, so groups are sampled.
 */
export function cpuMeter(groups: Record<string, () => number[]>, intervalMs = 250) {
  const seen = new Map<string, Map<number, { first: number; last: number }>>();
  const sample = () => {
    for (const [group, pids] of Object.entries(groups)) {
      const perPid = seen.get(group) ?? new Map<number, { first: number; last: number }>();
      seen.set(group, perPid);
      for (const pid of pids()) {
        const now = cpuSecondsOf(pid);
        const entry = perPid.get(pid);
        if (entry) entry.last = Math.max(entry.last, now);
        else perPid.set(pid, { first: now, last: now });
      }
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop(): Record<string, number> {
      sample();
      clearInterval(timer);
      return Object.fromEntries(
        [...seen].map(([group, perPid]) => [group, [...perPid.values()].reduce((sum, entry) => sum + entry.last - entry.first, 0)]),
      );
    },
  };
}
