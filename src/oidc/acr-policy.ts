import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { acrRank, meets, type Acr } from '../factors/assurance.js';
import { ACR } from './acr.js';

/** Every acr value the sign-in flow can deliver and enforces: exactly what discovery advertises. */
export const ENFORCED_ACRS: readonly Acr[] = [ACR.singleFactor, ACR.multiFactor, ACR.phishingResistant];

export interface AcrRequest {
  /** space-separated `acr_values` of the authorization request */
  acrValues?: unknown;
  /** the `claims` request parameter (JSON text or already parsed) */
  claims?: unknown;
  /** the client's registered `default_acr_values` */
  defaultAcrValues?: unknown;
}

export type RequiredAcr =
  | { kind: 'none' }
  | { kind: 'level'; acr: Acr }
  /** only values we do not know were demanded as essential */
  | { kind: 'unsatisfiable' };

const known = (value: unknown): value is Acr => typeof value === 'string' && (ENFORCED_ACRS as readonly string[]).includes(value);

/** The weakest of the listed values that we know: any of them satisfies the client. */
function weakest(values: unknown[]): Acr | undefined {
  const ours = values.filter(known);
  return ours.length ? ours.reduce((a, b) => (acrRank(a) <= acrRank(b) ? a : b)) : undefined;
}

function essentialAcrClaim(claims: unknown): { values: unknown[] } | undefined {
  let parsed = claims;
  if (typeof claims === 'string') {
    try {
      parsed = JSON.parse(claims);
    } catch {
      return undefined;
    }
  }
  const acr = (parsed as { id_token?: { acr?: { essential?: unknown; value?: unknown; values?: unknown } } } | null)?.id_token?.acr;
  if (!acr || acr.essential !== true) return undefined;
  if (Array.isArray(acr.values)) return { values: acr.values };
  if (acr.value !== undefined) return { values: [acr.value] };
  return undefined;
}

/**
 * Security rule "a relying party gets at least the level it asked for": the level an
 * authorization request demands, from an essential `acr` claim, else `acr_values`, else the
 * client's `default_acr_values`. A level satisfies every weaker one (phr ⊇ 2fa ⊇ 1fa).
 * Unknown voluntary values are ignored; essential ones that we cannot deliver are
 * unsatisfiable (the client gets unmet_authentication_requirements, never a weaker login).
 */
export function requiredAcr(request: AcrRequest): RequiredAcr {
  const essential = essentialAcrClaim(request.claims);
  if (essential) {
    const acr = weakest(essential.values);
    return acr ? { kind: 'level', acr } : { kind: 'unsatisfiable' };
  }
  for (const source of [request.acrValues, request.defaultAcrValues]) {
    const values = typeof source === 'string' ? source.split(' ').filter(Boolean) : Array.isArray(source) ? source : [];
    const acr = weakest(values);
    if (acr) return { kind: 'level', acr };
  }
  return { kind: 'none' };
}

export function requiredAcrOf(ctx: KoaContextWithOIDC): RequiredAcr {
  const { params, client } = ctx.oidc;
  return requiredAcr({
    acrValues: params?.acr_values,
    claims: params?.claims,
    defaultAcrValues: client?.metadata().default_acr_values,
  });
}

/**
 * node-oidc-provider's login prompt with our acr check in place of its own exact-match
 * ones (which would re-prompt a phr session asked for 2fa, and loop): the login prompt is
 * requested again whenever the session is below the required level, and the flow then
 * steps the session up.
 */
export function loginPolicy(): interactionPolicy.Prompt[] {
  const { Check, base } = interactionPolicy;
  const policy = base();
  const login = policy.get('login')!;
  login.checks.remove('essential_acrs');
  login.checks.remove('essential_acr');
  login.checks.add(
    new Check('acr_unmet', 'the session is below the requested authentication level', (ctx) => {
      const required = requiredAcrOf(ctx);
      if (required.kind === 'none') return Check.NO_NEED_TO_PROMPT;
      if (required.kind === 'unsatisfiable') {
        throw new errors.UnmetAuthenticationRequirements('none of the requested acr values can be provided');
      }
      return meets(ctx.oidc.acr, required.acr) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}
