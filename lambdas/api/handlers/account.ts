import { verifyAuditChains } from '../../shared/audit/verify';
import { isFacilityActor } from '../../shared/tenancy/actor';
import type { HandlerTable } from '../handler-types';

type AccountHandlers = Pick<HandlerTable, 'me.get' | 'audit.verify'>;

export const accountHandlers: AccountHandlers = {
  'me.get': async ({ actor, deps }) => ({
    body: {
      sub: actor.sub,
      role: actor.role,
      facilityId: isFacilityActor(actor) ? actor.facilityId : null,
      contactId: isFacilityActor(actor) ? (actor.contactId ?? null) : null,
      provider: { name: deps.settings.providerName, timeZone: deps.settings.timeZone },
    },
  }),

  /** Dispatchers see every chain through their row-level policy; the walk streams in batches. */
  'audit.verify': async ({ tx }) => {
    const result = await verifyAuditChains(tx);
    return { body: result };
  },
};
