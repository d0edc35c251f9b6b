import { randomUUID } from 'node:crypto';
import { DuplicateError, type Account, type AccountStore, type NewAccount } from '../ports.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';

/**
 * The columns an Account is made of, in the order rows are read. Rows come back as arrays
 * (better-sqlite3's raw mode): an object row costs a string-table lookup and a property
 * transition per column on every read, and the account is read on every refresh and
 * code exchange (the sign-in cutoff and the ID token's claims).
 */
const ACCOUNT_COLUMNS =
  'id, email, email_verified, name, password_hash, disabled, created_at, updated_at, sessions_valid_after, enrolment_required, password_from_link';

type AccountRow = [
  id: string,
  email: string,
  emailVerified: number,
  name: string | null,
  passwordHash: string,
  disabled: number,
  createdAt: number,
  updatedAt: number,
  sessionsValidAfter: number | null,
  enrolmentRequired: number,
  passwordFromLink: number,
];

function toAccount([id, email, emailVerified, name, passwordHash, disabled, createdAt, updatedAt, sessionsValidAfter, enrolmentRequired, passwordFromLink]: AccountRow): Account {
  return {
    id,
    email,
    emailVerified: emailVerified === 1,
    name,
    passwordHash,
    disabled: disabled === 1,
    createdAt,
    updatedAt,
    ...(sessionsValidAfter !== null ? { sessionsValidAfter } : {}),
    ...(enrolmentRequired === 1 ? { enrolmentRequired: true } : {}),
    ...(passwordFromLink === 1 ? { passwordFromLink: true } : {}),
  };
}

export function sqliteAccountStore(db: SqliteDatabase): AccountStore {
  const insert = db.prepare(
    `INSERT INTO accounts (id, email, email_lower, email_verified, name, password_hash, disabled, created_at, updated_at)
     VALUES (@id, @email, @emailLower, @emailVerified, @name, @passwordHash, 0, @now, @now)`,
  );
  const byId = db.prepare<[string], AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ?`).raw(true);
  const byEmail = db.prepare<[string], AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE email_lower = ?`).raw(true);
  const all = db.prepare<[], AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts ORDER BY created_at, email_lower`).raw(true);
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
