import { randomUUID } from 'node:crypto';
import { DuplicateError, type Account, type AccountStore, type NewAccount } from '../ports.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';

interface AccountRow {
  id: string;
  email: string;
  email_verified: number;
  name: string | null;
  password_hash: string;
  disabled: number;
  created_at: number;
  updated_at: number;
  sessions_valid_after: number | null;
  enrolment_required: number;
  password_from_link: number;
}

function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    email: row.email,
    emailVerified: row.email_verified === 1,
    name: row.name,
    passwordHash: row.password_hash,
    disabled: row.disabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.sessions_valid_after !== null ? { sessionsValidAfter: row.sessions_valid_after } : {}),
    ...(row.enrolment_required === 1 ? { enrolmentRequired: true } : {}),
    ...(row.password_from_link === 1 ? { passwordFromLink: true } : {}),
  };
}

export function sqliteAccountStore(db: SqliteDatabase): AccountStore {
  const insert = db.prepare(
    `INSERT INTO accounts (id, email, email_lower, email_verified, name, password_hash, disabled, created_at, updated_at)
     VALUES (@id, @email, @emailLower, @emailVerified, @name, @passwordHash, 0, @now, @now)`,
  );
  const byId = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE id = ?');
  const byEmail = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE email_lower = ?');
  const all = db.prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY created_at, email_lower');
  const setPassword = db.prepare<[string, number, number, number, string]>(
    'UPDATE accounts SET password_hash = ?, updated_at = ?, sessions_valid_after = ?, password_from_link = ? WHERE id = ?',
  );
  const confirm = db.prepare<[number, string]>('UPDATE accounts SET password_from_link = 0, updated_at = ? WHERE id = ?');

  const setEmailVerified = db.prepare<[number, string]>('UPDATE accounts SET email_verified = 1, updated_at = ? WHERE id = ?');
  const setCutoff = db.prepare<[number, number, string]>('UPDATE accounts SET updated_at = ?, sessions_valid_after = ? WHERE id = ?');
  const setEnrolment = db.prepare<[number, number, string]>('UPDATE accounts SET enrolment_required = ?, updated_at = ? WHERE id = ?');

  return {
    async create(account: NewAccount) {
      const now = Date.now();
      const id = randomUUID();
      try {
        insert.run({
          id,
          email: account.email,
          emailLower: account.email.toLowerCase(),
          emailVerified: account.emailVerified ? 1 : 0,
          name: account.name,
          passwordHash: account.passwordHash,
          now,
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new DuplicateError('An account with this email');
        throw error;
      }
      return toAccount(byId.get(id)!);
    },
    async findById(id) {
      const row = byId.get(id);
      return row ? toAccount(row) : null;
    },
    async findByEmail(email) {
      const row = byEmail.get(email.toLowerCase());
      return row ? toAccount(row) : null;
    },
    async list() {
      return all.all().map(toAccount);
    },
    async updatePassword(id, passwordHash, fromLink = false) {
      const now = Date.now();
      return setPassword.run(passwordHash, now, now, fromLink ? 1 : 0, id).changes === 1;
    },
    async confirmPassword(id) {
      return confirm.run(Date.now(), id).changes === 1;
    },
    async markEmailVerified(id) {
      return setEmailVerified.run(Date.now(), id).changes === 1;
    },
    async endSessions(id) {
      const now = Date.now();
      return setCutoff.run(now, now, id).changes === 1;
    },
    async setEnrolmentRequired(id, required) {
      return setEnrolment.run(required ? 1 : 0, Date.now(), id).changes === 1;
    },
  };
}
