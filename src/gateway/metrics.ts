/**
 * Prometheus metrics of the gateway, on their own Registry so the API's `/metrics` can
 * serve them (`Registry.merge([...])`).
 *
 * prom-client hashes the label set on every inc()/observe(), which costs more than the
 * rest of a proxied request's bookkeeping; so the hot path only bumps plain numbers per
 * deployment, and the registry reads them when it is scraped (collectors below that speak
 * the registry's `get()` interface).
 * Labels are deployment names only once the deployment is resolved and the key is
 * checked, so strangers cannot grow the label set; everything else counts as `_none`.
 */
import { Registry } from 'prom-client';

export const NO_DEPLOYMENT = '_none';

/** Seconds; model loads and long generations need the upper buckets. */
export const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface GatewayMetrics {
  registry: Registry;
  request(deployment: string, status: number, seconds: number): void;
  bytes(deployment: string, direction: 'in' | 'out', n: number): void;
  /** A request's answer is over: request() and both bytes() in one call. */
  answered(deployment: string, status: number, seconds: number, bytesIn: number, bytesOut: number): void;
  streamOpened(deployment: string): void;
  streamClosed(deployment: string): void;
  wake(deployment: string): void;
}

interface PerDeployment {
  byStatus: Map<number, number>;
  /** Non-cumulative counts per bucket; the last one is +Inf. */
  buckets: number[];
  sum: number;
  count: number;
  bytesIn: number;
  bytesOut: number;
  open: number;
  wakes: number;
}

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** The shape Registry.registerMetric() and metrics() use: name, help, type and get(). */
function collector(name: string, help: string, type: 'counter' | 'gauge' | 'histogram', values: () => Sample[]) {
  const get = async () => ({ name, help, type, aggregator: 'sum', values: values() });
  return { name, help, type, aggregator: 'sum', get, reset() {} };
}

export function createGatewayMetrics(registry = new Registry()): GatewayMetrics {
  const deps = new Map<string, PerDeployment>();
  const of = (d: string): PerDeployment => {
    let r = deps.get(d);
    if (!r) {
      r = { byStatus: new Map(), buckets: new Array(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0, bytesIn: 0, bytesOut: 0, open: 0, wakes: 0 };
      deps.set(d, r);
    }
    return r;
  };
  const each = <T>(fn: (d: string, r: PerDeployment) => T[]): T[] => [...deps].flatMap(([d, r]) => fn(d, r));

  const metrics = [
    collector('aloft_gateway_requests_total', 'Requests through the gateway by deployment and HTTP status', 'counter', () =>
      each((d, r) => [...r.byStatus].map(([status, value]) => ({ labels: { deployment: d, status }, value }))),
    ),
    collector('aloft_gateway_request_duration_seconds', 'Time from request to the end of the answer', 'histogram', () =>
      each((d, r) => {
        if (r.count === 0) return [];
        const name = 'aloft_gateway_request_duration_seconds';
        let acc = 0;
        const out: Sample[] = LATENCY_BUCKETS.map((le, i) => ({ metricName: `${name}_bucket`, labels: { le, deployment: d }, value: (acc += r.buckets[i]!) }));
        out.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', deployment: d }, value: r.count });
        out.push({ metricName: `${name}_sum`, labels: { deployment: d }, value: r.sum });
        out.push({ metricName: `${name}_count`, labels: { deployment: d }, value: r.count });
        return out;
      }),
    ),
    collector('aloft_gateway_bytes_total', 'Bytes on client connections by direction (out: answers with headers; in: request bodies)', 'counter', () =>
      each((d, r) => [
        ...(r.bytesIn ? [{ labels: { deployment: d, direction: 'in' }, value: r.bytesIn }] : []),
        ...(r.bytesOut ? [{ labels: { deployment: d, direction: 'out' }, value: r.bytesOut }] : []),
      ]),
    ),
    collector('aloft_gateway_open_streams', 'Proxied responses and WebSockets in flight', 'gauge', () =>
      each((d, r) => (d === NO_DEPLOYMENT ? [] : [{ labels: { deployment: d }, value: r.open }])),
    ),
    collector('aloft_gateway_wakes_total', 'Starts asked of the engine because a request arrived', 'counter', () =>
      each((d, r) => (r.wakes ? [{ labels: { deployment: d }, value: r.wakes }] : [])),
    ),
  ];
  for (const m of metrics) registry.registerMetric(m as never);

  return {
    registry,
    request(deployment, status, seconds) {
      const r = of(deployment);
      r.byStatus.set(status, (r.byStatus.get(status) ?? 0) + 1);
      let i = 0;
      while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
      r.buckets[i]!++;
      r.sum += seconds;
      r.count++;
    },
    bytes(deployment, direction, n) {
      if (n <= 0) return;
      const r = of(deployment);
      if (direction === 'in') r.bytesIn += n;
      else r.bytesOut += n;
    },
    answered(deployment, status, seconds, bytesIn, bytesOut) {
      this.request(deployment, status, seconds);
      this.bytes(deployment, 'in', bytesIn);
      this.bytes(deployment, 'out', bytesOut);
    },
    streamOpened: (d) => void of(d).open++,
    streamClosed: (d) => void of(d).open--,
    wake: (d) => void of(d).wakes++,
  };
}
