import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifySshKey, expandPath, loadSshPublicKeys } from './ssh-keys.js';

const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq0Xq9aW9t2fZ0m3S0yYxW5bJ1Vw4V0yQ7oY4y2kN2h me@laptop';
const RSA = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 ci@build';

describe('classifySshKey', () => {
  test('inline public keys of the common types', () => {
    for (const k of [ED, RSA, 'ecdsa-sha2-nistp256 AAAAE2VjZHNh', 'sk-ssh-ed25519@openssh.com AAAAGnNr x']) {
      assert.deepEqual(classifySshKey(k), { type: 'key', key: k });
    }
  });
  test('paths of .pub files', () => {
    for (const p of ['~/.ssh/id_ed25519.pub', './keys/me.pub', '/etc/keys/ci.pub', 'team.pub']) {
      assert.deepEqual(classifySshKey(p), { type: 'path', path: p });
    }
  });
  test('a private key file by path is refused with the .pub hint', () => {
    const c = classifySshKey('~/.ssh/id_rsa');
    assert.equal(c.type, 'invalid');
    assert.match((c as { reason: string }).reason, /use "~\/\.ssh\/id_rsa\.pub"/);
  });
  test('pasted private key material is refused and never echoed', () => {
    const pem = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n-----END OPENSSH PRIVATE KEY-----';
    const c = classifySshKey(pem);
    assert.equal(c.type, 'invalid');
    assert.ok(!(c as { reason: string }).reason.includes('b3Blbn'));
  });
  test('anything else is explained', () => {
    const c = classifySshKey('my laptop key');
    assert.equal(c.type, 'invalid');
    assert.match((c as { reason: string }).reason, /expected an OpenSSH public key/);
  });
});

describe('expandPath', () => {
  test('~ is the home directory, relative paths hang off baseDir', () => {
    assert.equal(expandPath('~/.ssh/a.pub', '/base'), join(homedir(), '.ssh/a.pub'));
    assert.equal(expandPath('keys/a.pub', '/base'), '/base/keys/a.pub');
    assert.equal(expandPath('/abs/a.pub', '/base'), '/abs/a.pub');
  });
});

describe('loadSshPublicKeys', () => {
  test('inline keys as written, files read line by line', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'aloft-ssh-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'team.pub'), `# the team\n${RSA}\n\n${ED}\n`);
    assert.deepEqual(await loadSshPublicKeys([ED, './team.pub'], dir), [ED, RSA, ED]);
  });

  test('missing, empty and non-key files fail with the file name', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'aloft-ssh-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'empty.pub'), '\n# nothing\n');
    await writeFile(join(dir, 'junk.pub'), 'hello\n');
    await assert.rejects(loadSshPublicKeys(['gone.pub'], dir), { message: 'ssh key file gone.pub: not found' });
    await assert.rejects(loadSshPublicKeys(['empty.pub'], dir), { message: 'ssh key file empty.pub: empty' });
    await assert.rejects(loadSshPublicKeys(['junk.pub'], dir), { message: 'ssh key file junk.pub: not an OpenSSH public key' });
    await assert.rejects(loadSshPublicKeys(['~/.ssh/id_rsa'], dir), /not a \.pub file/);
  });
});
