import { useQueries, useQueryClient } from '@tanstack/react-query';
import { allPages, data } from '../api/client';
import type { BillingRecord, BillingStatus } from '../api/contract';
import { useConsole } from '../context';

/** The desk's states, in the order a record usually travels them. */
export const BILLING_STATES: readonly BillingStatus[] = ['pending', 'ready', 'invoiced', 'denied', 'on_hold', 'paid', 'written_off'];

/** Pages of 100 read per state: enough for a day's queue; past it the desk says "of the N shown". */
export const MAX_PAGES = 5;

export const billingKeys = {
  all: ['billing-records'] as const,
  state: (status: BillingStatus) => ['billing-records', status] as const,
};

export interface StateList {
  records: BillingRecord[];
  /** True when the cap was reached with more records left unread. */
  more: boolean;
}

/** Every state's records (newest first), so each tab can show its count and total. */
export function useBillingStates() {
  const { api } = useConsole();
  return useQueries({
    queries: BILLING_STATES.map((status) => ({
      queryKey: billingKeys.state(status),
      queryFn: async (): Promise<StateList> => {
        let more = false;
        const records = await allPages<BillingRecord>(async (cursor) => {
          const page = await data(api.GET('/v1/billing-records', { params: { query: { status, limit: 100, ...(cursor ? { cursor } : {}) } } }));
          more = page.nextCursor !== null;
          return page;
        }, MAX_PAGES);
        return { records, more };
      },
    })),
  });
}

export function useRefreshBilling() {
  const queryClient = useQueryClient();
  return () => void queryClient.invalidateQueries({ queryKey: billingKeys.all });
}

/** The sum of the priced amounts, and how many have no amount yet. */
export function totalOf(records: readonly BillingRecord[]): { cents: number; unpriced: number } {
  let cents = 0;
  let unpriced = 0;
  for (const record of records) {
    if (record.amountCents === null) unpriced += 1;
    else cents += record.amountCents;
  }
  return { cents, unpriced };
}
