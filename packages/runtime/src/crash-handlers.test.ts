import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const RUNTIME = fileURLToPath(new URL('./index.ts', import.meta.url));

/** A real process with the crash handlers installed that fails in `how`. */
function crash(how: string) {
  const script = `
    import { createLogger, installCrashHandlers } from ${JSON.stringify(RUNTIME)};
    installCrashHandlers(createLogger({ level: 'info', bindings: { service: 'test' } }));
    ${how}
  `;
  return spawnSync(process.execPath, ['--conditions=@callpipe/source', '--input-type=module', '--eval', script], {
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('installCrashHandlers', () => {
  it.each([
    ['an uncaught exception', `setTimeout(() => { throw new Error('cannot dial +8613800000001'); }, 1);`, 'uncaught exception', true],
    ['an unhandled rejection', `Promise.reject(new Error('cannot dial +8613800000001'));`, 'unhandled rejection', true],
    ['a rejection with a string', `Promise.reject('cannot dial +8613800000001');`, 'unhandled rejection', false],
  ])('when %s ends the process, then it exits non-zero with the number masked in message and stack', (_case, how, kind, isError) => {
    const result = crash(how);
    const output = `${result.stdout}${result.stderr}`;
    expect(result.status).toBe(1);
    expect(output).not.toContain('13800000001');
    expect(output).toContain('+86138****0001');
    const line = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { level: string; msg: string; error: unknown };
    expect(line).toMatchObject({ level: 'error', service: 'test', msg: `${kind}, exiting` });
    expect(line.error).toEqual(
      isError
        ? expect.objectContaining({ message: 'cannot dial +86138****0001', stack: expect.stringContaining('+86138****0001') as string })
        : 'cannot dial +86138****0001',
    );
  });
});
