import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { sealedArtifacts } from '../oidc/sealed-artifacts.js';
import type { OidcArtifactStore, OidcPayload } from '../store/ports.js';

/** How long a console session lasts, however active: then the console signs in again (silently while the provider session lives). */
export const CONSOLE_SESSION_TTL_MS = 60 * 60_000;

export interface ConsoleSession {
  /** The bearer value in the cookie; stored only as its SHA-256 (sealed-artifacts.ts). */
  id: string;
  accountId: string;
  /** The provider session signed in to: signing out of Latchkey ends the console session too. */
  sessionUid: string;
  /** The grant the code was issued under: revoking it (a detected code reuse) ends the console session. */
  grantId: string;
  /** epoch seconds */
  authTime: number;
  acr: string | undefined;
  amr: string[];
  /** epoch ms; 0 when the session may not change sign-in methods (see elevation.ts). */
  elevatedUntil: number;
  /** epoch ms */
  createdAt: number;
  /** A factor being set up, sealed (enrolment.ts); absent when none. */
  enrolment?: string;
  /** A recovery key and backup codes just made, sealed, shown until acknowledged (routes.ts); absent when none. */
  recoveryCodes?: string;
  /** A backup method being set up, sealed (account/backup-routes.ts); absent when none. */
  backupSetup?: string;
}

export type NewConsoleSession = Omit<ConsoleSession, 'id' | 'createdAt'>;

export interface ConsoleSessions {
  /**
   * The browser's console session, or null: no cookie, a bad signature, expired, or its
   * provider session or grant is gone or now belongs to someone else.
   */
  current(ctx: Context): Promise<ConsoleSession | null>;
  /** A new session under a new id (never one the browser had before signing in), with its cookie. */
  start(ctx: Context, data: NewConsoleSession): Promise<ConsoleSession>;
  save(session: ConsoleSession): Promise<void>;
  /** Forgets the session and clears the cookie. */
  end(ctx: Context, session: ConsoleSession | null): Promise<void>;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const MODEL = 'ConsoleSession';

/**
 * Console sessions: a random id in a signed, HttpOnly, SameSite=Lax cookie (Secure and
 * `__Host-` on https, so a sibling subdomain cannot plant one), the data server-side in the
 * short-lived artifact store, under SHA-256 of the id and sealed with it (security rule "a
 * copy of the store holds no usable token", enforced by sealed-artifacts.ts).
 */
export function createConsoleSessions(deps: {
  artifacts: OidcArtifactStore;
  box: SecretBox;
  provider: Provider;
  clock: Clock;
  secure: boolean;
}): ConsoleSessions {
  const { provider, clock } = deps;
  const store = sealedArtifacts(deps.artifacts.model(MODEL), MODEL, deps.box);
  const cookieName = deps.secure ? '__Host-lk.console' : 'lk.console';
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: deps.secure, signed: true, path: '/', overwrite: true };

  const remainingSeconds = (session: ConsoleSession) => Math.ceil((session.createdAt + CONSOLE_SESSION_TTL_MS - clock.now()) / 1000);

  const write = async (session: ConsoleSession) => {
    const ttl = remainingSeconds(session);
    if (ttl <= 0) return;
    const { id, ...data } = session;
    await store.upsert(id, { jti: id, ...data } as OidcPayload, ttl);
  };

  const parse = (id: string, payload: OidcPayload): ConsoleSession | null => {
    const p = payload as Partial<ConsoleSession> & OidcPayload;
    if (typeof p.accountId !== 'string' || typeof p.sessionUid !== 'string' || typeof p.grantId !== 'string') return null;
    if (typeof p.authTime !== 'number') return null;
    if (typeof p.elevatedUntil !== 'number' || typeof p.createdAt !== 'number') return null;
    return {
      id,
      accountId: p.accountId,
      sessionUid: p.sessionUid,
      grantId: p.grantId,
      authTime: p.authTime,
      acr: typeof p.acr === 'string' ? p.acr : undefined,
      amr: Array.isArray(p.amr) ? p.amr.filter((v): v is string => typeof v === 'string') : [],
      elevatedUntil: p.elevatedUntil,
      createdAt: p.createdAt,
      enrolment: typeof p.enrolment === 'string' ? p.enrolment : undefined,
      recoveryCodes: typeof p.recoveryCodes === 'string' ? p.recoveryCodes : undefined,
      backupSetup: typeof p.backupSetup === 'string' ? p.backupSetup : undefined,
    };
  };

  return {
    async current(ctx) {
      const id = ctx.cookies.get(cookieName, { signed: true });
      if (!id || !ID_PATTERN.test(id)) return null;
      const stored = await store.find(id);
      const session = stored ? parse(id, stored) : null;
      if (!session || remainingSeconds(session) <= 0) return null;
      const [opSession, grant] = await Promise.all([provider.Session.findByUid(session.sessionUid), provider.Grant.find(session.grantId)]);
      if (!opSession || opSession.accountId !== session.accountId || !grant || grant.accountId !== session.accountId) {
        await store.destroy(id);
        return null;
      }
      return session;
    },
    async start(ctx, data) {
      const session: ConsoleSession = { ...data, id: randomBytes(32).toString('base64url'), createdAt: clock.now() };
      await write(session);
      ctx.cookies.set(cookieName, session.id, cookieOptions);
      return session;
    },
    save: write,
    async end(ctx, session) {
      if (session) await store.destroy(session.id);
      ctx.cookies.set(cookieName, null, cookieOptions);
    },
  };
}
