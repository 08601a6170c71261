/**
 * A node:http transport for the SDK. The CLI uses it: Node's global fetch loads undici on
 * first use (20–50 ms), a large share of a short command's run time.
 */
import http from 'node:http';
import https from 'node:https';
import type { Transport } from './client.js';

export const nodeTransport: Transport = ({ method, url, headers, body, timeoutMs }) =>
  new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(u, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (timeoutMs) req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
