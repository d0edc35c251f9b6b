import { z } from 'zod';
import { AppError } from '../errors.js';
import { DuplicateError, type Account, type AccountStore } from '../store/ports.js';
import type { PasswordHasher } from './password.js';
import type { PasswordPolicy } from './password-policy.js';
import { normalizeEmail } from './password-sign-in.js';

const emailSchema = z.email();

export interface NewAccountInput {
  email: string;
  password: string;
  name?: string | null;
  emailVerified?: boolean;
}

export interface AccountService {
  create(input: NewAccountInput): Promise<Account>;
  list(): Promise<Account[]>;
}

export function createAccountService(deps: { accounts: AccountStore; hasher: PasswordHasher; passwords: PasswordPolicy }): AccountService {
  return {
    async create(input) {
      const email = normalizeEmail(input.email);
      if (!emailSchema.safeParse(email).success) throw new AppError('invalid_email', 400);
      const name = input.name?.trim() || null;
      // The same rules as sign-up and password reset (password-policy.ts): PasswordRefused.
      await deps.passwords.check(input.password, [email, name ?? '']);
      try {
        return await deps.accounts.create({
          email,
          name,
          emailVerified: input.emailVerified ?? false,
          passwordHash: await deps.hasher.hash(input.password),
        });
      } catch (error) {
        if (error instanceof DuplicateError) throw new AppError('email_taken', 409);
        throw error;
      }
    },
    list: () => deps.accounts.list(),
  };
}
