/**
 * Monthly budgets: a global cap and per-user caps, in the configuration file as
 *
 *   budgets:
 *     monthly_usd: 500
 *     per_user: { alice: 100, bob: 50 }
 *
 * A new deployment is refused when what was spent this month plus what it would cost
 * until the end of the month exceeds a budget; running deployments are stopped once
 * the spending reaches it. The month is the calendar month in UTC.
 */
import { Type, type Static } from '@sinclair/typebox';
import { HOURS_PER_MONTH } from './cost.js';

export const BudgetsConfig = Type.Object(
  {
    monthly_usd: Type.Optional(Type.Number({ minimum: 0, description: 'Spending cap for all deployments, USD per calendar month' })),
    per_user: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0 }), { description: 'User name → USD per month' })),
  },
  { additionalProperties: false },
);
export type BudgetsConfig = Static<typeof BudgetsConfig>;
/** The configuration key: `{ budgets: { monthly_usd?, per_user? } }`. */
export const BudgetSection = Type.Object({ budgets: Type.Optional(BudgetsConfig) });
export type BudgetSection = Static<typeof BudgetSection>;

export interface BudgetCheck {
  ok: boolean;
  monthlyUsd: number;
  spentUsd: number;
  projectedUsd: number;
  remainingUsd: number;
  /** One line with the numbers, when not ok. */
  message?: string;
}

const usd = (n: number) => `$${n.toFixed(2)}`;

/** Would spending `projectedUsd` more on top of `spentUsd` stay within `monthlyUsd`? */
export function checkBudget(b: { monthlyUsd: number; spentUsd: number; projectedUsd: number; label?: string }): BudgetCheck {
  const total = b.spentUsd + b.projectedUsd;
  const remainingUsd = Math.max(0, Math.round((b.monthlyUsd - b.spentUsd) * 100) / 100);
  const ok = total <= b.monthlyUsd + 1e-9;
  const out: BudgetCheck = { ok, monthlyUsd: b.monthlyUsd, spentUsd: b.spentUsd, projectedUsd: b.projectedUsd, remainingUsd };
  if (!ok) {
    out.message = `${b.label ?? 'monthly budget'} ${usd(b.monthlyUsd)} would be exceeded: spent ${usd(b.spentUsd)} + projected ${usd(b.projectedUsd)} = ${usd(total)}`;
  }
  return out;
}

/** True when spending has reached the budget: running deployments should stop. */
export function budgetReached(b: { monthlyUsd: number; spentUsd: number }): boolean {
  return b.spentUsd >= b.monthlyUsd;
}

/** The budgets that apply to a user: the global one, then the user's own. */
export function budgetsFor(config: BudgetSection | undefined, user?: string): Array<{ label: string; monthlyUsd: number; scope: 'global' | 'user' }> {
  const b = config?.budgets;
  const out: Array<{ label: string; monthlyUsd: number; scope: 'global' | 'user' }> = [];
  if (b?.monthly_usd !== undefined) out.push({ label: 'global monthly budget', monthlyUsd: b.monthly_usd, scope: 'global' });
  const own = user !== undefined ? b?.per_user?.[user] : undefined;
  if (own !== undefined) out.push({ label: `monthly budget of ${user}`, monthlyUsd: own, scope: 'user' });
  return out;
}

/**
 * The budget (global first, then the user's) that spending has reached, with the event
 * message for the deployments it stops; null while all are below.
 */
export function reachedBudget(
  config: BudgetSection | undefined,
  user: string | undefined,
  spent: { globalUsd: number; userUsd: number },
): { label: string; monthlyUsd: number; spentUsd: number; message: string } | null {
  for (const b of budgetsFor(config, user)) {
    const spentUsd = b.scope === 'global' ? spent.globalUsd : spent.userUsd;
    if (budgetReached({ monthlyUsd: b.monthlyUsd, spentUsd })) {
      return { label: b.label, monthlyUsd: b.monthlyUsd, spentUsd, message: `stopped: ${b.label} ${usd(b.monthlyUsd)} reached (spent ${usd(spentUsd)} this month)` };
    }
  }
  return null;
}

/** Checks every applicable budget; the first one exceeded decides. `spent` maps scope → USD spent this month. */
export function checkBudgets(
  config: BudgetSection | undefined,
  user: string | undefined,
  spent: { globalUsd: number; userUsd: number },
  projectedUsd: number,
): BudgetCheck | null {
  let last: BudgetCheck | null = null;
  for (const b of budgetsFor(config, user)) {
    const c = checkBudget({ monthlyUsd: b.monthlyUsd, spentUsd: b.scope === 'global' ? spent.globalUsd : spent.userUsd, projectedUsd, label: b.label });
    if (!c.ok) return c;
    last = c;
  }
  return last;
}

/** Start of the calendar month (UTC) containing `now`, epoch ms. */
export function monthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Hours from `now` to the end of its calendar month (UTC). */
export function hoursLeftInMonth(now: number): number {
  const d = new Date(now);
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return (end - now) / 3_600_000;
}

/** What a deployment at `hourlyUsd` would cost from now to the end of the month (at most 730 h). */
export function projectRestOfMonth(hourlyUsd: number, now: number): number {
  return Math.round(hourlyUsd * Math.min(HOURS_PER_MONTH, hoursLeftInMonth(now)) * 100) / 100;
}
