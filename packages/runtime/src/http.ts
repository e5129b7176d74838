import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { Server as NetServer } from 'node:net';

export function listen(
  handler: RequestListener,
  host: string,
  port: number,
  configure?: (server: Server) => void,
  options: ServerOptions = {},
): Promise<Server> {
  const server = createServer(options, handler);
  configure?.(server);
  return listenOn(server, host, port);
}

/** Starts an existing server (HTTP or HTTPS); rejects if the port cannot be bound. */
export function listenOn<T extends NetServer>(server: T, host: string, port: number): Promise<T> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Stops accepting, lets in-flight requests finish, and closes idle keep-alive sockets. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
