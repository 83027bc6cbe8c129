import { findBillingCode, listBillingCodes, toBillingCode, updateBillingCode } from '../data/billing-codes';
import type { HandlerTable } from '../handler-types';
import { assertVersion, found } from './support';

type BillingCodeHandlers = Pick<HandlerTable, 'billingCodes.list' | 'billingCodes.update'>;

const FIELD_NAMES = { base_code: 'baseCode', mileage_code: 'mileageCode', description: 'description' } as const;

/** The provider's HCPCS mapping by level of service (schema/0023): Billing edits it, Dispatchers read it. */
export const billingCodeHandlers: BillingCodeHandlers = {
  'billingCodes.list': async ({ tx }) => ({ body: { items: (await listBillingCodes(tx)).map(toBillingCode) } }),

  'billingCodes.update': async ({ params, body, ifMatch, tx, audit }) => {
    const current = found(await findBillingCode(tx, params.levelOfService, { forUpdate: true }), 'billing code');
    assertVersion(ifMatch, current.version);
    const next = { base_code: body.baseCode, mileage_code: body.mileageCode, description: body.description };
    const changed = (Object.keys(next) as (keyof typeof next)[]).filter((column) => current[column] !== next[column]);
    if (changed.length === 0) return { body: toBillingCode(current), version: current.version };
    const updated = found(await updateBillingCode(tx, current.level_of_service, next), 'billing code');
    // Provider-level: the mapping belongs to no tenant, so the event goes on the provider chain.
    await audit({ facilityId: null, entityType: 'billing_code', entityId: current.id, action: 'billing_code.updated',
      details: {
        levelOfService: current.level_of_service,
        fields: changed.map((column) => FIELD_NAMES[column]).sort(),
        oldBaseCode: current.base_code, newBaseCode: updated.base_code,
        oldMileageCode: current.mileage_code, newMileageCode: updated.mileage_code,
      } });
    return { body: toBillingCode(updated), version: updated.version };
  },
};
