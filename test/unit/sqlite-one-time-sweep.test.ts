import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { sweepExpiredOneTime } from '../../src/store/sqlite/one-time.js';

describe('SQLite one-time sweep', () => {
  test('reclaims expired values and claims, and keeps live ones', async () => {
    const stores = createSqliteStores(':memory:');
    try {
      const t0 = 1_700_000_000_000;
      await stores.oneTime.put('expired', 'd', 1000, t0);
      await stores.oneTime.claim('expired-claim', 1000, t0);
      await stores.oneTime.put('live', 'd', 1001, t0);
      sweepExpiredOneTime(stores.db, t0 + 1000);
      const keys = stores.db.prepare<[], { key: string }>('SELECT key FROM one_time ORDER BY key').all();
      expect(keys.map((row) => row.key)).toEqual(['live']);
      expect(await stores.oneTime.take('live', 'd', t0 + 1000)).toBe(true);
    } finally {
      await stores.close();
    }
  });
});
