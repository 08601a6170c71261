/** Gateway keys through the API (see src/api/routes/keys.ts). */
import type { AloftClient } from './client.js';

export interface KeyView {
  prefix: string;
  name: string | null;
  deployment: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  state: 'active' | 'expired' | 'revoked';
}

export interface CreatedKey extends KeyView {
  /** The key itself: shown once, never again. */
  key: string;
}

export interface CreateKeyInput {
  deployment?: string;
  /** 30d, 12h, or seconds. */
  expires?: string | number;
  name?: string;
}

export function keysClient(client: Pick<AloftClient, 'call'>) {
  return {
    createKey: (input: CreateKeyInput) => client.call<CreatedKey>('POST', '/v1/keys', input),
    listKeys: () => client.call<KeyView[]>('GET', '/v1/keys'),
    revokeKey: (prefix: string) => client.call<KeyView>('DELETE', `/v1/keys/${encodeURIComponent(prefix)}`),
  };
}

export type KeysClient = ReturnType<typeof keysClient>;
