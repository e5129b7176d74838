import { parseIngestEnv } from '@callpipe/ingest';
import { coerceError, describeUnknownVariable } from '@callpipe/runtime';
import { isLoopbackHost, parseWorkerEnv } from '@callpipe/worker';
import { unknownCallpipeVariables } from '../../env.ts';
import { result, type StatusCheck } from './check.ts';

/**
 * This environment as the services would take it: would the ingest and the worker start with it,
 * which variables nobody reads (typos), and whether the queue UI is open to anyone.
 */
export const configurationCheck: StatusCheck = {
  name: 'configuration',
  needs: [],
  // eslint-disable-next-line @typescript-eslint/require-await -- a check is async by contract; this one only parses
  async run({ env }) {
    const refusals: Array<{ service: string; message: string }> = [];
    const attempt = <T>(service: string, parse: () => T): T | null => {
      try {
        return parse();
      } catch (error) {
        refusals.push({
          service,
          message: coerceError(error)
            .message.replace(/^invalid configuration:\s*/, '')
            .replace(/\n\s*/g, '; '),
        });
        return null;
      }
    };
    attempt('ingest', () => parseIngestEnv(env));
    const worker = attempt('worker', () => parseWorkerEnv(env));
    const unknown = unknownCallpipeVariables(env);
    const warnings = unknown.map(describeUnknownVariable);
    if (worker && worker.WORKER_QUEUE_UI !== 'off' && worker.WORKER_QUEUE_UI_TOKEN === '' && !isLoopbackHost(worker.WORKER_ADMIN_HOST))
      warnings.push(
        `the queue UI (/queues, ${worker.WORKER_QUEUE_UI}) is open to anyone who reaches ${worker.WORKER_ADMIN_HOST}: set WORKER_QUEUE_UI_TOKEN`,
      );
    const data = { refusals, unknownVariables: unknown, warnings };
    if (refusals.length > 0)
      return result(
        'action',
        refusals.map((refusal) => `the ${refusal.service} would refuse to start: ${refusal.message}`).join('; '),
        data,
      );
    if (warnings.length > 0) return result('warn', warnings.join('; '), data);
    return result('ok', 'the ingest and the worker would start with this environment; no unknown variables', data);
  },
};
