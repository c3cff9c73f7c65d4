import { describe, expect, it } from 'vitest';
import { planMisfires } from './misfire-plan.js';

describe('planMisfires', () => {
  const missed = [1000, 2000, 3000, 4000];

  it('fire_once fires the latest and skips the others', () => {
    expect(planMisfires(missed, 'fire_once', 10)).toEqual({
      fire: [4000],
      skip: [1000, 2000, 3000],
    });
  });

  it('fire_all fires up to the cap, oldest first, and skips the rest', () => {
    expect(planMisfires(missed, 'fire_all', 3)).toEqual({ fire: [1000, 2000, 3000], skip: [4000] });
  });

  it('skip records every instant as skipped', () => {
    expect(planMisfires(missed, 'skip', 3)).toEqual({ fire: [], skip: missed });
  });

  it('accounts for every instant exactly once', () => {
    for (const policy of ['fire_once', 'fire_all', 'skip'] as const) {
      const plan = planMisfires(missed, policy, 2);
      expect([...plan.fire, ...plan.skip].sort()).toEqual(missed);
    }
  });
});
