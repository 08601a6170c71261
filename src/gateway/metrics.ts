/**
 * Prometheus metrics of the gateway, on their own Registry so the API's `/metrics` can
 * serve them (merge with `Registry.merge([...])` or concatenate `metrics()` outputs).
 * Labels are deployment names only once the deployment is resolved and the key is
 * checked, so strangers cannot grow the label set; everything else counts as `_none`.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const NO_DEPLOYMENT = '_none';

export interface GatewayMetrics {
  registry: Registry;
  request(deployment: string, status: number, seconds: number): void;
  bytes(deployment: string, direction: 'in' | 'out', n: number): void;
  streamOpened(deployment: string): void;
  streamClosed(deployment: string): void;
  wake(deployment: string): void;
}

export function createGatewayMetrics(registry = new Registry()): GatewayMetrics {
  const requests = new Counter({
    name: 'aloft_gateway_requests_total',
    help: 'Requests through the gateway by deployment and HTTP status',
    labelNames: ['deployment', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'aloft_gateway_request_duration_seconds',
    help: 'Time from request to the end of the answer',
    labelNames: ['deployment'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'aloft_gateway_bytes_total',
    help: 'Bytes on the client connection (headers included) by direction',
    labelNames: ['deployment', 'direction'] as const,
    registers: [registry],
  });
  const open = new Gauge({
    name: 'aloft_gateway_open_streams',
    help: 'Proxied responses and WebSockets in flight',
    labelNames: ['deployment'] as const,
    registers: [registry],
  });
  const wakes = new Counter({
    name: 'aloft_gateway_wakes_total',
    help: 'Starts asked of the engine because a request arrived',
    labelNames: ['deployment'] as const,
    registers: [registry],
  });

  // labels() hashes its arguments on every call; the hot path reuses the children.
  const reqChildren = new Map<string, Counter.Internal>();
  const latChildren = new Map<string, Histogram.Internal<'deployment'>>();
  const byteChildren = new Map<string, Counter.Internal>();

  return {
    registry,
    request(deployment, status, seconds) {
      const k = deployment + '\u0000' + status;
      let c = reqChildren.get(k);
      if (!c) reqChildren.set(k, (c = requests.labels(deployment, String(status))));
      c.inc();
      let h = latChildren.get(deployment);
      if (!h) latChildren.set(deployment, (h = latency.labels(deployment)));
      h.observe(seconds);
    },
    bytes(deployment, direction, n) {
      if (n <= 0) return;
      const k = deployment + '\u0000' + direction;
      let c = byteChildren.get(k);
      if (!c) byteChildren.set(k, (c = bytes.labels(deployment, direction)));
      c.inc(n);
    },
    streamOpened: (d) => open.labels(d).inc(),
    streamClosed: (d) => open.labels(d).dec(),
    wake: (d) => wakes.labels(d).inc(),
  };
}
