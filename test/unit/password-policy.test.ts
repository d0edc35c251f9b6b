import { createPasswordPolicy, PasswordRefused } from '../../src/accounts/password-policy.js';

describe('the password rules (length, common lists, zxcvbn score)', () => {
  const policy = createPasswordPolicy();
  const problem = async (password: string, related: string[] = []) => (await policy.assess(password, related)).problem;

  test('8 to 128 characters, counted in characters, not bytes', async () => {
    expect(await problem('seven77')).toBe('password_too_short');
    expect(await problem('😀😀😀😀😀😀😀')).toBe('password_too_short');
    expect(await problem('x'.repeat(129))).toBe('password_too_long');
  });

  test('no composition rules: a long passphrase of lowercase words passes', async () => {
    expect(await problem('correct horse battery staple')).toBeNull();
    expect(await problem('velvet harbour pickle season')).toBeNull();
    expect((await policy.assess('velvet harbour pickle season', [])).strength).toMatch(/strong/i);
  });

  test.each(['password', '12345678', 'iloveyou', 'qwertyuiop', 'Password1', 'P@ssw0rd', 'sunshine'])('a common or leaked password is refused: %s', async (password) => {
    expect(await problem(password)).toMatch(/password_too_(common|weak)/);
  });

  test('a whole-list match says so; common words with a twist are too weak', async () => {
    expect(await problem('password123')).toBe('password_too_common');
    expect(await problem('monkey12345')).toBe('password_too_weak');
    expect(await problem('aaaaaaaaaaaa')).toBe('password_too_weak');
  });

  test("the person's own email address or name is too easy to guess", async () => {
    expect(await problem('grace@example.com', ['grace@example.com', 'Grace Hopper'])).toBe('password_too_weak');
    expect(await problem('gracehopper1', ['grace@example.com', 'Grace Hopper'])).toBe('password_too_weak');
    expect(await problem('GraceHopper2024', ['grace@example.com', 'Grace Hopper'])).toBe('password_too_weak');
    // The same password for someone else is fine.
    expect(await problem('GraceHopper2024', ['ada@example.com', 'Ada Lovelace'])).toBeNull();
  });

  test('the hint: a strength label and advice, computed on the server', async () => {
    const assessment = await policy.assess('password123', []);
    expect(assessment.strength).toBe('Very weak');
    expect(assessment.feedback.join(' ')).toContain('commonly used password');
  });

  test('check throws PasswordRefused with the assessment', async () => {
    await expect(policy.check('12345678', [])).rejects.toThrow(PasswordRefused);
    await expect(policy.check('correct horse battery staple', [])).resolves.toBeUndefined();
  });

  test('a 128-character passphrase is accepted (only its first 64 characters are rated, bounding the work)', async () => {
    const passphrase = 'velvet harbour pickle season under a quiet lantern while orange kites drift past the old mill and '.repeat(2).slice(0, 128);
    expect([...passphrase].length).toBe(128);
    expect(await problem(passphrase)).toBeNull();
    expect(await problem(`${passphrase}x`)).toBe('password_too_long');
  });
});
