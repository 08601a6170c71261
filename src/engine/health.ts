/** Is the workload answering? A 2xx on its health path (ollama: the model is listed). */
import { request, type Dispatcher } from 'undici';

export interface ProbeOptions {
  model?: string;
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** For a cloud machine: an undici Agent that trusts exactly its certificate (lib/self-signed.ts pinnedTls). */
  dispatcher?: Dispatcher;
}

export async function probeHealth(endpoint: string, path: string, opts: ProbeOptions = {}): Promise<boolean> {
  try {
    const res = await request(new URL(path, endpoint), {
      method: 'GET',
      headers: opts.headers,
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
      headersTimeout: opts.timeoutMs ?? 2000,
      bodyTimeout: opts.timeoutMs ?? 2000,
    });
    const body = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) return false;
    if (!opts.model) return true;
    const models = (JSON.parse(body) as { models?: Array<{ name?: string; model?: string }> }).models ?? [];
    const want = opts.model.includes(':') ? opts.model : `${opts.model}:latest`;
    return models.some((m) => m.name === want || m.model === want);
  } catch {
    return false;
  }
}
