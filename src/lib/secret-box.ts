/**
 * Encrypts secrets at rest (upstream secrets, cloud credentials in the store) with
 * AES-256-GCM. The key comes from ALOFT_MASTER_KEY (base64, 32 bytes) or a key file
 * created once in the data directory with mode 0600.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
  /**
   * A stable identifier derived from the master key (HMAC-SHA256 of `label`, 16 hex): every
   * replica sharing the key (and so the store's secrets) gets the same one. Not a secret.
   */
  derive(label: string): string;
}

export function secretBoxFromKey(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('the master key must be 32 bytes');
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return `v1.${iv.toString('base64url')}.${body.toString('base64url')}.${c.getAuthTag().toString('base64url')}`;
    },
    open(sealed) {
      const [v, iv, body, tag] = sealed.split('.');
      if (v !== 'v1' || !iv || body === undefined || !tag) throw new Error('not a sealed secret');
      const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      d.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
    },
    derive(label) {
      return createHmac('sha256', key).update(`aloft:${label}`).digest('hex').slice(0, 16);
    },
  };
}

export function loadSecretBox(keyFile: string, env: NodeJS.ProcessEnv = process.env): SecretBox {
  if (env.ALOFT_MASTER_KEY) return secretBoxFromKey(Buffer.from(env.ALOFT_MASTER_KEY, 'base64'));
  if (!existsSync(keyFile)) {
    mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return secretBoxFromKey(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64'));
}
