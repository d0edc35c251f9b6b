import type { Context } from 'koa';
import { shownOnPage } from '../errors.js';
import type { FormInput } from '../factors/factor.js';
import type { Account } from '../store/ports.js';
import type { PendingSeal } from './flow-store.js';
import type { FlowEvent, FlowState } from './flow.js';

/** An error shown on the step's page rather than as an error page. */
export interface StepError {
  status: number;
  text: string;
}

/** The AppErrors a step page shows itself (wrong code, wait, cannot send); anything else is an error page. */
export const asStepError: (error: unknown) => StepError | undefined = shownOnPage;

/** A step's page: the view and what it shows (the dispatcher adds uid, CSRF token, client name, error). */
export interface StepPage {
  page: string;
  data: { title: string } & Record<string, unknown>;
}

export type StepHandler<I> = (ctx: Context, interaction: I, state: FlowState) => Promise<void>;

/**
 * What the dispatcher lends the step modules (password-steps.ts, verify-email-steps.ts,
 * factor-steps.ts, reset-steps.ts, recovery-steps.ts, signup-steps.ts): its state handling,
 * rendering and moves, so that every step goes through the one machine and the one
 * save/render path.
 */
export interface StepKit<I> {
  pending: PendingSeal;
  accountOf(state: FlowState): Promise<Account>;
  formInput(ctx: Context): FormInput;
  /** Raises the event with the account's facts, saves, and shows the next step. */
  move(ctx: Context, interaction: I, state: FlowState, event: FlowEvent, account: Account): Promise<void>;
  /** Saves a state the machine already produced and shows it (or ends the interaction). */
  settle(ctx: Context, interaction: I, state: FlowState): Promise<void>;
  /** Saves the state without answering (the caller renders). */
  save(interaction: I, state: FlowState): Promise<void>;
  /** Saves the state and redirects to its page (post/redirect/get). */
  saveAndShow(ctx: Context, interaction: I, state: FlowState): Promise<void>;
  /** Renders the current step, with an error and form values shown on it. */
  render(ctx: Context, interaction: I, state: FlowState, error?: StepError, extra?: Record<string, unknown>): Promise<void>;
  /** Renders the current step with `caught` on it when it is a step error; rethrows anything else. */
  renderError(ctx: Context, interaction: I, state: FlowState, caught: unknown, extra?: Record<string, unknown>): Promise<void>;
}
