/**
 * Typed client of the Aloft API (the CLI and the dashboard use it). Errors come back as
 * ApiClientError with the API's stable code and HTTP status.
 */
export interface DeploymentView {
  id: string;
  name: string;
  kind: string;
  owner: string;
  provider: string | null;
  region: string | null;
  instance_type: string | null;
  status: string;
  desired_state: string;
  status_reason: string | null;
  endpoint: string | null;
  url: string | null;
  price_per_hour: number | null;
  created_at: string;
  updated_at: string;
  ready_at: string | null;
  expires_at: string | null;
  last_activity_at: string | null;
}

export interface EventView {
  id: number;
  at: string;
  at_ms: number;
  type: string;
  from_status: string | null;
  to_status: string | null;
  message: string | null;
  data: unknown;
}

export interface CostRowView {
  key: string;
  deployments: number;
  running_hours: number;
  stopped_hours: number;
  compute_usd: number;
  disk_usd: number;
  total_usd: number;
}

export interface CostView {
  since: string;
  now: string;
  by: 'deployment' | 'provider' | 'user';
  rows: CostRowView[];
  total: CostRowView;
}

export class ApiClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SubmitInput {
  yaml?: string;
  spec?: unknown;
  file?: string;
  base_dir?: string;
  /** Place only on this provider (it must be configured on the server). */
  provider?: string;
  /** Place only in this region (or region glob). */
  region?: string;
}

/** One row of GET /v1/providers. Never carries a secret. */
export interface ProviderCheckView {
  provider: string;
  configured: boolean;
  ok: boolean;
  message: string;
  quota?: Record<string, number | string>;
  /** Milliseconds the check took (configured providers only). */
  ms?: number;
}

/** One machine of GET /v1/providers/machines, as the control plane classes it. */
export interface ProviderMachineView {
  provider: string;
  id: string;
  region: string;
  instance_type: string;
  state: string;
  /** owned, pending (being created), orphan (ours, destroyed after the grace period), foreign (another installation's). */
  class: 'owned' | 'pending' | 'orphan' | 'foreign';
  deployment_id: string | null;
  /** The deployment's name and status in the control plane's store, when known. */
  deployment: string | null;
  deployment_status: string | null;
  /** foreign only: the installation id the machine carries. */
  installation: string | null;
  created_at: string | null;
}

/** GET /v1/providers/machines: a provider that could not be listed has `ok: false` and its error. */
export interface ProviderMachinesView {
  /** The control plane's own installation id. */
  installation: string | null;
  providers: Array<{ provider: string; ok: boolean; error?: string; machines: number; ms: number }>;
  machines: ProviderMachineView[];
}

/** Sends one request and returns its status and body text; throws when unreachable. */
export type Transport = (req: { method: string; url: string; headers: Record<string, string>; body?: string; timeoutMs?: number }) => Promise<{ status: number; text: string }>;

/** The default transport: fetch (browsers, and Node where start-up time does not matter). */
export const fetchTransport: Transport = async ({ method, url, headers, body, timeoutMs }) => {
  const res = await fetch(url, { method, headers, body, signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined });
  return { status: res.status, text: await res.text() };
};

export function createClient(opts: { baseUrl: string; token?: string; transport?: Transport }) {
  const transport = opts.transport ?? fetchTransport;
  /** One request; the answer's body text on 2xx, else ApiClientError with the API's code. */
  async function callText(method: string, path: string, body?: unknown): Promise<string> {
    let res: { status: number; text: string };
    try {
      res = await transport({
        method,
        url: opts.baseUrl + path,
        headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiClientError(0, 'unreachable', `cannot reach the Aloft API at ${opts.baseUrl}: ${(err as Error).message}`);
    }
    if (res.status < 200 || res.status >= 300) {
      let e: { code?: string; message?: string } | undefined;
      try {
        e = (JSON.parse(res.text) as { error?: { code?: string; message?: string } } | null)?.error;
      } catch {
        // not JSON: fall back to the status
      }
      throw new ApiClientError(res.status, e?.code ?? 'error', e?.message ?? `HTTP ${res.status}`);
    }
    return res.text;
  }
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = await callText(method, path, body);
    return (text ? JSON.parse(text) : null) as T;
  }
  const enc = encodeURIComponent;
  return {
    health: () => call<{ ok: boolean; version: string }>('GET', '/healthz'),
    submit: (input: SubmitInput) => call<DeploymentView>('POST', '/v1/deployments', input),
    plan: (input: SubmitInput) => call<{ name: string; offers: Array<Record<string, unknown>> }>('POST', '/v1/plan', input),
    list: (all = false) => call<DeploymentView[]>('GET', `/v1/deployments${all ? '?all=true' : ''}`),
    /** The list as the API sent it (JSON text): for piping without parsing 10,000 rows. */
    listText: (all = false) => callText('GET', `/v1/deployments${all ? '?all=true' : ''}`),
    get: (name: string) => call<DeploymentView>('GET', `/v1/deployments/${enc(name)}`),
    events: (name: string, after = 0) => call<EventView[]>('GET', `/v1/deployments/${enc(name)}/events?after=${after}`),
    stop: (name: string) => call<DeploymentView>('POST', `/v1/deployments/${enc(name)}/stop`, {}),
    start: (name: string) => call<DeploymentView>('POST', `/v1/deployments/${enc(name)}/start`, {}),
    providers: (name?: string) => call<ProviderCheckView[]>('GET', `/v1/providers${name ? `?name=${enc(name)}` : ''}`),
    /** Every machine each provider (or the named one) holds, and whose it is. */
    machines: (name?: string) => call<ProviderMachinesView>('GET', `/v1/providers/machines${name ? `?name=${enc(name)}` : ''}`),
    destroy: (name: string) => call<DeploymentView>('DELETE', `/v1/deployments/${enc(name)}`),
    /** Accrued cost since a duration back from now (`30d`, `12h`), grouped by deployment, provider or user. */
    cost: (q: { since?: string; by?: 'deployment' | 'provider' | 'user' } = {}) => {
      const qs = new URLSearchParams(Object.entries(q).filter(([, v]) => v !== undefined) as Array<[string, string]>).toString();
      return call<CostView>('GET', `/v1/cost${qs ? `?${qs}` : ''}`);
    },
    /** A streaming GET (logs); the caller reads the body. */
    async stream(path: string, signal?: AbortSignal): Promise<Response> {
      const res = await fetch(opts.baseUrl + path, { headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {}, signal });
      if (!res.ok) {
        const data = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
        throw new ApiClientError(res.status, data?.error?.code ?? 'error', data?.error?.message ?? `HTTP ${res.status}`);
      }
      return res;
    },
    call,
  };
}

export type AloftClient = ReturnType<typeof createClient>;
