import { createServer, type Server } from 'node:http';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics/metrics.ts';

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
  // A port that cannot be had rejects, so the worker can say which one and which setting changes it.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  log.info({ address: server.address() }, 'metrics server listening');
  return server;
}
