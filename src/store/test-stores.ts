/**
 * For tests: the stores a suite runs against — SQLite always, PostgreSQL too when
 * ALOFT_TEST_DATABASE_URL is set (CI sets it). Each PostgreSQL store gets its own schema.
 */
import { randomBytes } from 'node:crypto';
import { dropSchema, openStore, type Store } from './db.js';

export interface TestStoreFactory {
  name: 'sqlite' | 'postgres';
  open(): Promise<Store & { url: string; schema?: string }>;
}

export function testStores(): TestStoreFactory[] {
  const out: TestStoreFactory[] = [
    {
      name: 'sqlite',
      async open() {
        const s = await openStore({ url: ':memory:' });
        return Object.assign(s, { url: ':memory:' });
      },
    },
  ];
  const pgUrl = process.env.ALOFT_TEST_DATABASE_URL;
  if (pgUrl) {
    out.push({
      name: 'postgres',
      async open() {
        const schema = `t_${randomBytes(6).toString('hex')}`;
        const s = await openStore({ url: pgUrl, schema });
        const close = s.close;
        return Object.assign(s, {
          url: pgUrl,
          schema,
          close: async () => {
            await close();
            await dropSchema(pgUrl, schema);
          },
        });
      },
    });
  }
  return out;
}
