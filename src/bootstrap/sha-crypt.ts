/**
 * SHA-256-crypt (`$5$`, Ulrich Drepper's "Unix crypt using SHA-256"), and the key
 * proxy's htpasswd line.
 *
 * Why: the on-host key proxy is nginx with `auth_basic`. nginx hands `$5$` hashes to the
 * system crypt(3), then compares the *hash* of the presented secret with the stored one.
 * The comparison is not constant time, but it leaks only how many leading characters of
 * two salted hashes match — useless to an attacker who does not know the salt and could
 * not invert SHA-256 anyway. Computing the hash here means the upstream secret itself is
 * never written to the machine: the user-data carries only the salted hash.
 */
import { createHash, randomBytes } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DEFAULT_ROUNDS = 5000;
/** The smallest count the algorithm allows: the secret is 256 random bits, so stretching buys nothing and costs latency per request. */
export const PROXY_ROUNDS = 1000;

const sha256 = (...parts: Buffer[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** `length` bytes taken from `block` repeated. */
function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = block[i % block.length]!;
  return out;
}

function b64From24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let s = '';
  for (let i = 0; i < n; i++) {
    s += ITOA64[w & 0x3f];
    w >>= 6;
  }
  return s;
}

/** Returns the full crypt string, e.g. `$5$rounds=1000$salt$hash`. */
export function sha256Crypt(password: string, salt: string, rounds?: number): string {
  const P = Buffer.from(password, 'utf8');
  const S = Buffer.from(salt.slice(0, 16), 'utf8');
  const r = rounds === undefined ? DEFAULT_ROUNDS : Math.min(999_999_999, Math.max(1000, Math.floor(rounds)));

  const B = sha256(P, S, P);
  const a = createHash('sha256').update(P).update(S);
  let n = P.length;
  for (; n > 32; n -= 32) a.update(B);
  a.update(B.subarray(0, n));
  for (let len = P.length; len > 0; len >>= 1) a.update(len & 1 ? B : P);
  const A = a.digest();

  const dp = createHash('sha256');
  for (let i = 0; i < P.length; i++) dp.update(P);
  const Pp = repeatTo(dp.digest(), P.length);

  const ds = createHash('sha256');
  for (let i = 0; i < 16 + A[0]!; i++) ds.update(S);
  const Sp = repeatTo(ds.digest(), S.length);

  let C = A;
  for (let i = 0; i < r; i++) {
    const c = createHash('sha256');
    c.update(i & 1 ? Pp : C);
    if (i % 3) c.update(Sp);
    if (i % 7) c.update(Pp);
    c.update(i & 1 ? C : Pp);
    C = c.digest();
  }

  const f = C;
  const order: Array<[number, number, number]> = [
    [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14],
    [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29],
  ];
  let out = '';
  for (const [x, y, z] of order) out += b64From24(f[x]!, f[y]!, f[z]!, 4);
  out += b64From24(0, f[31]!, f[30]!, 3);
  const roundsPart = rounds === undefined ? '' : `rounds=${r}$`;
  return `$5$${roundsPart}${S.toString('utf8')}$${out}`;
}

/** A random 16-character salt from the crypt alphabet. */
export function randomSalt(): string {
  return [...randomBytes(16)].map((b) => ITOA64[b & 0x3f]).join('');
}

/** The user name the gateway presents to the key proxy (Basic auth); not a secret. */
export const PROXY_USER = 'aloft';

/** The htpasswd line for the key proxy: `aloft:$5$rounds=1000$<salt>$<hash>`. */
export function proxyHtpasswdLine(upstreamSecret: string, salt: string = randomSalt()): string {
  return `${PROXY_USER}:${sha256Crypt(upstreamSecret, salt, PROXY_ROUNDS)}`;
}

/** The header the gateway sends to the machine's key proxy with the deployment's upstream secret. */
export function upstreamAuthHeader(upstreamSecret: string): { authorization: string } {
  return { authorization: 'Basic ' + Buffer.from(`${PROXY_USER}:${upstreamSecret}`, 'utf8').toString('base64') };
}
