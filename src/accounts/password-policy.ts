import type { ZxcvbnFactory, ZxcvbnResult } from '@zxcvbn-ts/core';
import { AppError } from '../errors.js';
import { passwordProblem } from './password.js';

export type PasswordProblem = 'password_too_short' | 'password_too_long' | 'password_too_common' | 'password_too_weak';

/** zxcvbn's scores 0–4 as a person reads them. */
const STRENGTH = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as const;

/** Score 2 = at least 10^8 guesses by zxcvbn's estimate: beyond online guessing under our throttling. */
export const MIN_SCORE = 2;

/**
 * Only this many leading characters are rated: zxcvbn's matching grows steeply with length
 * (a 128-character password took seconds), and a password whose first 64 characters are
 * hard to guess is hard to guess. Bounds the CPU one form post can cost.
 */
const RATED_LENGTH = 64;

export interface PasswordAssessment {
  /** The message key of the refusal, or null when the password may be used. */
  problem: PasswordProblem | null;
  /** 0–4, zxcvbn's score (0 for a length refusal). */
  score: number;
  /** "Weak", "Strong", … */
  strength: (typeof STRENGTH)[number];
  /** zxcvbn's warning and suggestions, in English, for the page to show beside the field. */
  feedback: string[];
}

export interface PasswordPolicy {
  /**
   * Rates `password` on the server (the hint works without JavaScript). `related` are words
   * an attacker would try first for this person: their email address, its local part, name.
   */
  assess(password: string, related: readonly string[]): Promise<PasswordAssessment>;
  /** Rejects with PasswordRefused unless the password may be used. */
  check(password: string, related: readonly string[]): Promise<void>;
}

/** A refused password, with the assessment for the page's strength hint. */
export class PasswordRefused extends AppError {
  constructor(readonly assessment: PasswordAssessment & { problem: PasswordProblem }) {
    super(assessment.problem, 400);
    this.name = 'PasswordRefused';
  }
}

/**
 * The password rules of sign-up, password reset and `latchkey users create` (NIST SP
 * 800-63B §3.1.1.2): 8–128 characters, no composition rules, and refused when it is
 *
 * - `password_too_common`: as a whole, an entry (or a reversed, capitalised or l33t
 *   variant) of the common/leaked passwords list (@zxcvbn-ts/language-common's
 *   `passwords-common`); or
 * - `password_too_weak`: zxcvbn scores it below MIN_SCORE (under ~10^8 guesses), which
 *   catches common passwords with a digit added, keyboard walks, repeats, dates, dictionary
 *   words (common and English dictionaries) and the person's own email or name.
 *
 * Levenshtein matching stays off and l33t substitutions are capped: both cost far more CPU
 * than they add to these two rules.
 */
export function createPasswordPolicy(): PasswordPolicy {
  // Loaded and built on first use: the dictionaries cost ~40 MB of memory and up to half a
  // second of start-up, which an instance that never rates a password (one serving tokens,
  // most CLI commands) should not pay.
  let zxcvbn: Promise<ZxcvbnFactory> | undefined;
  const load = async (): Promise<ZxcvbnFactory> => {
    const [{ ZxcvbnFactory }, common, english] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    return new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...english.dictionary },
      graphs: common.adjacencyGraphs,
      translations: english.translations,
      maxLength: RATED_LENGTH,
      l33tMaxSubstitutions: 12,
      useLevenshteinDistance: false,
    });
  };
  const rate = async (password: string, related: readonly string[]): Promise<ZxcvbnResult> => {
    zxcvbn ??= load().catch((error: unknown) => {
      zxcvbn = undefined;
      throw error;
    });
    const factory = await zxcvbn;
    const inputs = related.flatMap((value) => {
      const trimmed = value.trim().toLowerCase();
      // The whole value, its words, and its words run together ("gracehopper").
      const parts = trimmed.split(/[@\s._+-]+/).filter((part) => part.length >= 3);
      return trimmed ? [trimmed, trimmed.replace(/\s+/g, ''), ...parts] : [];
    });
    return factory.check(password, inputs);
  };

  const assess = async (password: string, related: readonly string[]): Promise<PasswordAssessment> => {
    const lengthProblem = passwordProblem(password);
    if (lengthProblem) return { problem: lengthProblem, score: 0, strength: STRENGTH[0], feedback: [] };
    const result = await rate(password, related);
    const only = result.sequence.length === 1 ? result.sequence[0] : undefined;
    const common = only?.pattern === 'dictionary' && only.dictionaryName === 'passwords-common';
    const feedback = [result.feedback.warning, ...result.feedback.suggestions].filter((line): line is string => Boolean(line));
    const problem = common ? 'password_too_common' : result.score < MIN_SCORE ? 'password_too_weak' : null;
    return { problem, score: result.score, strength: STRENGTH[result.score] ?? STRENGTH[0], feedback };
  };

  return {
    assess,
    async check(password, related) {
      const assessment = await assess(password, related);
      if (assessment.problem) throw new PasswordRefused({ ...assessment, problem: assessment.problem });
    },
  };
}
