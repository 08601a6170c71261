import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { checkBudget, checkBudgets, reachedBudget, budgetReached, budgetsFor, monthStart, hoursLeftInMonth, projectRestOfMonth, BudgetSection } from './budget.js';

test('a deployment that would exceed the budget is refused with the numbers', () => {
  const ok = checkBudget({ monthlyUsd: 100, spentUsd: 40, projectedUsd: 60 });
  assert.equal(ok.ok, true);
  assert.equal(ok.remainingUsd, 60);
  const no = checkBudget({ monthlyUsd: 100, spentUsd: 40, projectedUsd: 60.5 });
  assert.equal(no.ok, false);
  assert.equal(no.message, 'monthly budget $100.00 would be exceeded: spent $40.00 + projected $60.50 = $100.50');
});

test('budget reached stops running deployments', () => {
  assert.equal(budgetReached({ monthlyUsd: 50, spentUsd: 49.99 }), false);
  assert.equal(budgetReached({ monthlyUsd: 50, spentUsd: 50 }), true);
});

test('global and per-user budgets from the configuration', () => {
  const cfg = { budgets: { monthly_usd: 500, per_user: { alice: 20 } } };
  assert.ok(Value.Check(BudgetSection, cfg));
  assert.ok(!Value.Check(BudgetSection, { budgets: { monthly: 5 } }));
  assert.deepEqual(budgetsFor(cfg, 'alice').map((b) => b.label), ['global monthly budget', 'monthly budget of alice']);
  assert.deepEqual(budgetsFor(cfg, 'bob').map((b) => b.scope), ['global']);
  const alice = checkBudgets(cfg, 'alice', { globalUsd: 100, userUsd: 15 }, 10)!;
  assert.equal(alice.ok, false);
  assert.match(alice.message!, /^monthly budget of alice \$20\.00 would be exceeded/);
  assert.equal(checkBudgets(cfg, 'bob', { globalUsd: 100, userUsd: 15 }, 10)!.ok, true);
  assert.match(checkBudgets(cfg, 'bob', { globalUsd: 495, userUsd: 0 }, 10)!.message!, /^global monthly budget/);
  assert.equal(checkBudgets({}, 'bob', { globalUsd: 1e9, userUsd: 0 }, 10), null);
});

test('month arithmetic is UTC calendar months', () => {
  const now = Date.UTC(2025, 1, 27, 0, 0); // 27 Feb
  assert.equal(monthStart(now), Date.UTC(2025, 1, 1));
  assert.equal(hoursLeftInMonth(now), 48);
  assert.equal(projectRestOfMonth(1.5, now), 72);
  assert.equal(projectRestOfMonth(1, Date.UTC(2025, 0, 1)), 730);
});

test('the reached budget names itself for the stop event', () => {
  const cfg = { budgets: { monthly_usd: 500, per_user: { alice: 20 } } };
  assert.equal(reachedBudget(cfg, 'alice', { globalUsd: 100, userUsd: 19.99 }), null);
  assert.equal(reachedBudget(cfg, 'alice', { globalUsd: 100, userUsd: 20 })!.message, 'stopped: monthly budget of alice $20.00 reached (spent $20.00 this month)');
  assert.equal(reachedBudget(cfg, 'bob', { globalUsd: 501, userUsd: 0 })!.label, 'global monthly budget');
});
