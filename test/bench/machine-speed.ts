import { createHash } from 'node:crypto';

/**
 * A fixed single-core workload (parse, serialize and hash 20,000 of the bench's bodies, 3 times),
 * timed in milliseconds; lower is faster. On a shared machine one commit runs up to twice as fast
 * in one hour as in another, so the sections with absolute figures print this before and after.
 */
export function machineSpeedMs(bodies: readonly string[]): number {
  const sample = bodies.slice(0, 20_000);
  const round = () => {
    for (const body of sample)
      createHash('sha256')
        .update(JSON.stringify(JSON.parse(body)))
        .digest();
  };
  // Untimed first: a first round in a process also times the JIT compiling the loop.
  round();
  const started = process.hrtime.bigint();
  for (let index = 0; index < 3; index += 1) round();
  return Math.round(Number(process.hrtime.bigint() - started) / 1e6);
}

export const machineSpeedLine = (beforeMs: number, afterMs: number) =>
  `     machine speed: a fixed single-core workload took ${beforeMs} ms before and ${afterMs} ms after (lower is faster)`;
