import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxyHtpasswdLine, sha256Crypt, upstreamAuthHeader } from './sha-crypt.js';

// Expected values computed with glibc/libxcrypt crypt(3) and `openssl passwd -5`.
test('matches the system crypt(3) for default, custom and clamped rounds', () => {
  assert.equal(sha256Crypt('Hello world!', 'saltstring'), '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5');
  assert.equal(
    sha256Crypt('Hello world!', 'saltstringsaltstring', 10000),
    '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA',
  );
  assert.equal(
    sha256Crypt('This is just a test', 'toolongsaltstring', 5000),
    '$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5',
  );
  assert.equal(
    sha256Crypt('we have a short salt string but not a short password', 'roundstoolow', 10),
    '$5$rounds=1000$roundstoolow$p20OiWa5GmKDHyeQuvXKgAXjYozUMLD5yQL6RzRpZCC',
  );
});

test('agrees with openssl passwd -5', () => {
  assert.equal(sha256Crypt('sekret', 'abcdefgh'), '$5$abcdefgh$WYPA5VIoOFBfRH7O.6Euebcx3lCwL7Axh51F7zpkHU8');
});

test('the htpasswd line never contains the secret and is salted per call', () => {
  const secret = 'a'.repeat(43);
  const a = proxyHtpasswdLine(secret);
  const b = proxyHtpasswdLine(secret);
  assert.match(a, /^aloft:\$5\$rounds=1000\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{43}$/);
  assert.notEqual(a, b);
  assert.ok(!a.includes(secret));
  assert.equal(upstreamAuthHeader('s3cret').authorization, 'Basic ' + Buffer.from('aloft:s3cret').toString('base64'));
});
