import type { OidcArtifactStore, OidcModelStore, OidcPayload } from '../ports.js';
import type { SqliteDatabase } from './database.js';
import { cachedModels } from '../model-cache.js';

interface ArtifactRow {
  payload: string;
  consumed_at: number | null;
}

/** node-oidc-provider artifacts in one table, keyed by (model, id); expired rows are invisible. */
export function sqliteOidcArtifactStore(db: SqliteDatabase): OidcArtifactStore {
  const live = '(expires_at IS NULL OR expires_at > @now)';
  const upsert = db.prepare(
    `INSERT INTO oidc_artifacts (model, id, payload, grant_id, user_code, uid, consumed_at, expires_at)
     VALUES (@model, @id, @payload, @grantId, @userCode, @uid, @consumedAt, @expiresAt)
     ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
       user_code = excluded.user_code, uid = excluded.uid, consumed_at = excluded.consumed_at, expires_at = excluded.expires_at`,
  );
  const byId = db.prepare<Record<string, unknown>, ArtifactRow>(
    `SELECT payload, consumed_at FROM oidc_artifacts WHERE model = @model AND id = @id AND ${live}`,
  );
  const byUid = db.prepare<Record<string, unknown>, ArtifactRow>(
    `SELECT payload, consumed_at FROM oidc_artifacts WHERE model = @model AND uid = @value AND ${live}`,
  );
  const byUserCode = db.prepare<Record<string, unknown>, ArtifactRow>(
    `SELECT payload, consumed_at FROM oidc_artifacts WHERE model = @model AND user_code = @value AND ${live}`,
  );
  const consume = db.prepare(
    `UPDATE oidc_artifacts SET consumed_at = @consumedAt
     WHERE model = @model AND id = @id AND consumed_at IS NULL AND ${live}`,
  );
  const destroy = db.prepare('DELETE FROM oidc_artifacts WHERE model = ? AND id = ?');
  const revoke = db.prepare('DELETE FROM oidc_artifacts WHERE model = ? AND grant_id = ?');

  const toPayload = (row: ArtifactRow | undefined): OidcPayload | undefined => {
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as OidcPayload;
    return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at };
  };

  const model = (name: string): OidcModelStore => ({
    async upsert(id, payload, expiresInSeconds) {
      upsert.run({
        model: name,
        id,
        payload: JSON.stringify(payload),
        grantId: payload.grantId ?? null,
        userCode: payload.userCode ?? null,
        uid: payload.uid ?? null,
        consumedAt: typeof payload.consumed === 'number' ? payload.consumed : null,
        expiresAt: expiresInSeconds ? Date.now() + expiresInSeconds * 1000 : null,
      });
    },
    async find(id) {
      return toPayload(byId.get({ model: name, id, now: Date.now() }));
    },
    async findByUid(uid) {
      return toPayload(byUid.get({ model: name, value: uid, now: Date.now() }));
    },
    async findByUserCode(userCode) {
      return toPayload(byUserCode.get({ model: name, value: userCode, now: Date.now() }));
    },
    async consume(id) {
      const now = Date.now();
      return consume.run({ model: name, id, now, consumedAt: Math.floor(now / 1000) }).changes === 1;
    },
    async destroy(id) {
      destroy.run(name, id);
    },
    async revokeByGrantId(grantId) {
      revoke.run(name, grantId);
    },
  });

  return cachedModels(model);
}

/** Deletes expired artifacts and counters; expiry is already enforced on read, this only reclaims space. */
export function sweepExpired(db: SqliteDatabase, now = Date.now()): void {
  db.prepare('DELETE FROM oidc_artifacts WHERE expires_at IS NOT NULL AND expires_at <= ?').run(now);
  db.prepare('DELETE FROM counters WHERE expires_at <= ?').run(now);
}
