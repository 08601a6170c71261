import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DurationError, formatDurationShort, parseDuration } from './duration.js';

describe('parseDuration', () => {
  const ok: [string | number, number][] = [
    ['250ms', 250],
    ['30s', 30_000],
    ['15m', 900_000],
    ['4h', 14_400_000],
    ['7d', 604_800_000],
    ['1.5h', 5_400_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s5ms', 93_784_005],
    ['0s', 0],
    [' 10m ', 600_000],
    ['3600', 3_600_000],
    [3600, 3_600_000],
    [0.25, 250],
    [0, 0],
  ];
  for (const [input, ms] of ok) {
    test(`${JSON.stringify(input)} → ${ms} ms`, () => assert.equal(parseDuration(input), ms));
  }

  const bad: (string | number)[] = ['', '15 minutes', '15M', 'm', '1h 30m', '-5m', '5w', 'abc', -1, Number.NaN, Infinity];
  for (const input of bad) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(() => parseDuration(input), (err: unknown) => {
        assert.ok(err instanceof DurationError);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    });
  }

  test('a rejected string names the accepted units', () => {
    assert.throws(() => parseDuration('15 minutes'), /invalid duration "15 minutes": expected a number and a unit \(ms, s, m, h, d\)/);
  });
});

describe('formatDurationShort', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [250, '250ms'],
    [1000, '1s'],
    [90_000, '1m30s'],
    [900_000, '15m'],
    [5_400_000, '1h30m'],
    [14_400_000, '4h'],
    [604_800_000, '7d'],
    [93_784_005, '1d2h3m4s5ms'],
    [1500.4, '1s500ms'],
    [-60_000, '-1m'],
  ];
  for (const [ms, text] of cases) test(`${ms} → ${text}`, () => assert.equal(formatDurationShort(ms), text));

  test('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 1000, 61_000, 3_599_999, 86_400_000, 123_456_789]) {
      assert.equal(parseDuration(formatDurationShort(ms)), ms);
    }
  });
});
