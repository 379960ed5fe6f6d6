import { createServer, type Server } from 'node:http';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

/** The worker has no API; this tiny server lets Prometheus scrape it (GET /metrics). */
export async function startMetricsServer(metrics: Metrics, host: string, port: number, log: Logger): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      (err: unknown) => {
        log.error({ err }, 'metrics collection failed');
        response.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  log.info({ address: server.address() }, 'metrics server listening');
  return server;
}
