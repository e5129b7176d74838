import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  total: number;
  ok: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  seconds: number;
}

export interface LoadOptions {
  connections: number;
  /** Seconds to run, or… */
  duration?: number;
  /** …how many requests to send in all. */
  amount?: number;
  /** Requests per second across all connections (unbounded when absent). */
  overallRate?: number;
}

/** POSTs the bodies round-robin with autocannon, the same way for every server under test. */
export async function load(url: string, bodies: readonly string[], options: LoadOptions): Promise<LoadResult> {
  let next = 0;
  const started = Date.now();
  const result = await autocannon({
    url,
    method: 'POST',
    connections: options.connections,
    ...(options.duration === undefined ? {} : { duration: options.duration }),
    ...(options.amount === undefined ? {} : { amount: options.amount }),
    ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
    headers: { 'content-type': 'application/json;charset=UTF-8' },
    requests: [
      {
        setupRequest: (request) => {
          const body = bodies[next % bodies.length]!;
          next += 1;
          return { ...request, body };
        },
      },
    ],
  });
  const seconds = (Date.now() - started) / 1000;
  const ok = result['2xx'];
  return {
    requestsPerSecond: ok / Math.max(0.001, options.duration ?? seconds),
    total: result.requests.total,
    ok,
    failed: result.non2xx + result.errors + result.timeouts,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    p999Ms: result.latency.p99_9,
    seconds,
  };
}
