import argon2 from 'argon2';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

/** OWASP's minimum argon2id parameters: 19 MiB, two passes, one lane. */
export const ARGON2_PARAMS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

export function argon2Hasher(): PasswordHasher {
  return {
    hash: (password) => argon2.hash(password, ARGON2_PARAMS),
    async verify(hash, password) {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    },
  };
}

/** Password rule of the design: 8–128 characters, no composition rules. Returns a message key or null. */
export function passwordProblem(password: string): 'password_too_short' | 'password_too_long' | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'password_too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'password_too_long';
  return null;
}
