import { installShutdown, type Logger } from '@callpipe/runtime';

export interface Service {
  start(): Promise<unknown>;
  stop(): Promise<void>;
  beginDraining(): void;
}

/**
 * Starts the services in order and stops them in reverse: intake (ingest) stops first. Resolves once
 * they run; from then on the shutdown coordinator owns the process and exits it.
 */
export async function serve(services: Service[], deadlineMs: number, logger: Logger): Promise<'keep-running'> {
  const started: Service[] = [];
  const coordinator = installShutdown({
    logger,
    deadlineMs,
    onBegin: () => services.forEach((service) => service.beginDraining()),
    stop: async () => {
      for (const service of [...started].reverse()) await service.stop();
    },
  });
  try {
    for (const service of services) {
      await service.start();
      started.push(service);
    }
  } catch (error) {
    await coordinator.shutdown('start failed');
    throw error;
  }
  return 'keep-running';
}
