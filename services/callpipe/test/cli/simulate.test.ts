import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callpipe, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

// The good invocation with --verify against the real pipeline is in test/e2e/pipeline.test.ts; here a
// stand-in endpoint acks every push, so the parsing and the output streams are checked cheaply.
let server: Server;
let url: string;
let pushes = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      pushes += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"resultcode":"0","resultdesc":"Success"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  url = `http://127.0.0.1:${address.port}/voicecall/events`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('callpipe simulate', () => {
  it.each(['--help', '-h'])('when given %s, then it prints its usage and exits 0 without sending anything', async (flag) => {
    expectHelp(await callpipe(['simulate', flag, '--url', url], refusedEnv), 'callpipe simulate [options]');
    expect(pushes).toBe(0);
  });

  it('when an option or its value is wrong, then it exits 2 with one line on stderr naming the option', async () => {
    expectUsageError(await callpipe(['simulate'], {}), "required option '--url <push-url>' not specified");
    expectUsageError(await callpipe(['simulate', '--url', url, '--bogus'], {}), "unknown option '--bogus'");
    expectUsageError(await callpipe(['simulate', '--url', url, '--rate', 'abc'], {}), '--rate: ');
    expectUsageError(await callpipe(['simulate', '--url', url, '--max-cdrs-per-push', '51'], {}), '--max-cdrs-per-push: ');
    expect(pushes).toBe(0);
  });

  it('when every push is acked, then it reports on stdout and exits 0', async () => {
    const result = await callpipe(['simulate', '--url', url, '--calls', '3', '--rate', '1000', '--seed', '5'], {});
    expect(result.code, result.stderr).toBe(0);
    const [head, sent, ...rest] = result.stdout.split('\n');
    expect(head).toMatch(new RegExp(`^simulate: 3 calls → (\\d+) pushes at 1000/s to ${url} \\(seed 5\\)$`));
    expect(sent).toMatch(/^sent \d+ in [\d.]+ s \(\d+\/s\): \{"acked":\d+,"rejected":0,"unavailable":0,"error":0\}$/);
    expect(rest).toEqual(['']);
    expect(pushes).toBe(Number(/→ (\d+) pushes/.exec(head!)![1]));
  });
});
