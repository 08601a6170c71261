/** Numbered migrations, applied in name order. Never edit a landed one: add the next. */
import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-cost.js';
import * as m0003 from './0003-tls.js';

export const migrations: Record<string, { up(db: Kysely<any>, dialect: Dialect): Promise<void> }> = {
  '0001-initial': m0001,
  '0002-cost': m0002,
  '0003-tls': m0003,
};
