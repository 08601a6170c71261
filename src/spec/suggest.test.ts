import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { didYouMean, editDistance, nearest } from './suggest.js';

describe('editDistance', () => {
  test('counts insertions, deletions, substitutions and adjacent swaps as one each', () => {
    assert.equal(editDistance('gpu', 'gpu'), 0);
    assert.equal(editDistance('gpus', 'gpu'), 1);
    assert.equal(editDistance('gp', 'gpu'), 1);
    assert.equal(editDistance('cpu', 'gpu'), 1);
    assert.equal(editDistance('modle', 'model'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('abc', ''), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });
  test('is symmetric', () => {
    for (const [a, b] of [['ttl', 'tll'], ['placement', 'plcaement'], ['x', 'resources']]) {
      assert.equal(editDistance(a!, b!), editDistance(b!, a!));
    }
  });
});

describe('nearest', () => {
  const keys = ['gpu', 'cpus', 'memory', 'disk', 'arch'];
  test('finds a one-letter typo', () => assert.equal(nearest('gpus', keys), 'gpu'));
  test('finds a swapped pair', () => assert.equal(nearest('memroy', keys), 'memory'));
  test('prefers the longer shared prefix on a tie', () => assert.equal(nearest('cpu', keys), 'cpus'));
  test('folds case, dashes and underscores', () => {
    assert.equal(nearest('idleTimeout', ['idle_timeout', 'ttl']), 'idle_timeout');
    assert.equal(nearest('idle-timeout', ['idle_timeout', 'ttl']), 'idle_timeout');
    assert.equal(nearest('MAX_HOURLY_USD', ['max_hourly_usd']), 'max_hourly_usd');
  });
  test('says nothing when nothing is close', () => {
    assert.equal(nearest('banana', keys), undefined);
    assert.equal(nearest('x', ['ttl', 'kind']), undefined);
    assert.equal(nearest('', keys), undefined);
  });
  test('the threshold grows with the length of the input', () => {
    // 12 letters allow 4 edits; 4 letters allow 2.
    assert.equal(nearest('snapshotondstry', ['snapshot_on_destroy']), 'snapshot_on_destroy');
    assert.equal(nearest('abcd', ['wxyz']), undefined);
  });
  test('didYouMean formats a suffix or nothing', () => {
    assert.equal(didYouMean('gpus', keys), '; did you mean "gpu"?');
    assert.equal(didYouMean('zzzzzz', keys), '');
  });
});
