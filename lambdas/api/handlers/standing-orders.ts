import { type StandingOrderStatus, standingOrderLifecycle } from '../../shared/domain/lifecycles';
import { Problems } from '../../shared/http/problem';
import { DEFAULT_HORIZON_DAYS } from '../../shared/settings';
import {
  applySeriesChange, horizonFrom, type LeftAlone, type MaterialiseDeps, materialiseSeries, providerToday,
  seriesPattern, touchedBecause, withdrawOccurrences,
} from '../../shared/standing-orders/materialise';
import { type SeriesChange, seriesChangeNotice } from '../../shared/standing-orders/notices';
import { isOccurrenceDate, nextOccurrences } from '../../shared/standing-orders/occurrences';
import { isFacilityActor } from '../../shared/tenancy/actor';
import {
  findStandingOrder, insertStandingOrder, listStandingOrders, type StandingOrderChanges, type StandingOrderRow, toStandingOrder,
  updateStandingOrder,
} from '../data/standing-orders';
import { assertRiderBookable, findTripRequest } from '../data/trip-requests';
import type { ApiRoute, HandlerTable, RouteContext } from '../handler-types';
import { decodeCursor, pageOf } from './pagination';
import { assertTransition, assertVersion, found, tenantForCreate } from './support';
import { cancelTrip } from './trip-cancellation';
import { contactOf } from '../data/contacts';

type StandingOrderHandlers = Pick<HandlerTable,
  'standingOrders.create' | 'standingOrders.list' | 'standingOrders.get' | 'standingOrders.update' | 'standingOrders.accept'
  | 'standingOrders.reject' | 'standingOrders.pause' | 'standingOrders.resume' | 'standingOrders.skip' | 'standingOrders.end'
  | 'standingOrders.preview'>;

type Context = Pick<RouteContext<ApiRoute>, 'actor' | 'deps' | 'tx' | 'audit' | 'notify'>;

const respond = (row: StandingOrderRow, leftAlone?: readonly LeftAlone[]) =>
  ({ body: { ...toStandingOrder(row), ...(leftAlone ? { leftAlone } : {}) }, version: row.version });

function materialising({ actor, deps }: Context): { deps: MaterialiseDeps; today: string; horizon: ReturnType<typeof horizonFrom> } {
  const today = providerToday(deps.settings.timeZone);
  return {
    deps: { timeZone: deps.settings.timeZone, actor: { sub: actor.sub, role: actor.role } },
    today,
    horizon: horizonFrom(today, deps.settings.standingOrderHorizonDays ?? DEFAULT_HORIZON_DAYS),
  };
}

/** Locks the series the caller may see and checks If-Match. */
async function lockedSeries(context: Context & { ifMatch: number | undefined }, id: string): Promise<StandingOrderRow> {
  const series = found(await findStandingOrder(context.tx, context.actor, id, { forUpdate: true }), 'standing order');
  assertVersion(context.ifMatch, series.version);
  return series;
}

/** Moves the series and audits it; the database's lifecycle trigger says the same as the check. */
async function transition(context: Context, series: StandingOrderRow, to: StandingOrderStatus, changes: StandingOrderChanges = {},
  details: Record<string, number | string> = {}): Promise<StandingOrderRow> {
  assertTransition(standingOrderLifecycle, series.status, to, 'standing order');
  const updated = found(await updateStandingOrder(context.tx, series, { ...changes, status: to }), 'standing order');
  await context.audit({ facilityId: series.facility_id, entityType: 'standing_order', entityId: series.id,
    action: `standing_order.${actionOf(series.status, to)}`, fromState: series.status, toState: to, details });
  return updated;
}

/** The rider's one message about the change, never one per ride; in its transaction, after it. */
async function tellRider(context: Context, series: StandingOrderRow, event: SeriesChange, today: string): Promise<void> {
  await context.notify(await seriesChangeNotice(context.tx, series, event, { timeZone: context.deps.settings.timeZone, today }));
}

const ACTIONS: Record<StandingOrderStatus, string> = {
  pending: 'created', active: 'accepted', paused: 'paused', rejected: 'rejected', ended: 'ended',
};

/** The audited action names the move, not only where it ends: back to active from paused is a resume. */
function actionOf(from: StandingOrderStatus, to: StandingOrderStatus): string {
  return from === 'paused' && to === 'active' ? 'resumed' : ACTIONS[to];
}

export const standingOrderHandlers: StandingOrderHandlers = {
  'standingOrders.create': async (context) => {
    const { actor, body, tx, audit, deps } = context;
    const facilityId = tenantForCreate(actor, body.facilityId);
    await assertRiderBookable(tx, facilityId, body.riderId);
    if (body.contactId) {
      found(await contactOf(tx, facilityId, body.contactId), 'contact');
    }
    if (body.startDate < providerToday(deps.settings.timeZone)) {
      throw Problems.validation([{ path: 'startDate', message: "Today or later, in the provider's time zone" }]);
    }
    const { rows: riders } = await tx.query<{ mobility: string }>('SELECT mobility FROM riders WHERE facility_id = $1 AND id = $2',
      [facilityId, body.riderId]);
    const series = found(await insertStandingOrder(tx, {
      facility_id: facilityId, rider_id: body.riderId, contact_id: body.contactId ?? (isFacilityActor(actor) ? actor.contactId : undefined) ?? null,
      submitted_by: actor.sub, source: isFacilityActor(actor) ? 'facility' : 'dispatcher',
      days_of_week: `{${[...body.daysOfWeek].sort().join(',')}}`, pickup_time: body.pickupTime, appointment_time: body.appointmentTime,
      pickup_address: body.pickupAddress, dropoff_address: body.dropoffAddress, mobility: body.mobility ?? riders[0]?.mobility ?? 'ambulatory',
      oxygen: body.oxygen, companions: body.companions, return_mode: body.returnMode, return_pickup_time: body.returnPickupTime ?? null,
      start_date: body.startDate, end_date: body.endDate ?? null, excluded_dates: `{${body.excludedDates.join(',')}}`,
    }), 'rider');
    await audit({ facilityId, entityType: 'standing_order', entityId: series.id, action: 'standing_order.created', toState: 'pending',
      details: { riderId: series.rider_id } });
    return { ...respond(series), status: 201 };
  },

  'standingOrders.list': async ({ actor, query, tx }) => {
    if (isFacilityActor(actor) && query.facilityId) {
      throw Problems.invalidParameters([{ path: 'facilityId', message: 'Your facility comes from your account' }]);
    }
    const rows = await listStandingOrders(tx, actor, query, { after: decodeCursor(query.cursor), limit: query.limit });
    return { body: pageOf(rows, query.limit, toStandingOrder, (row) => [row.cursor_at, row.id]) };
  },

  'standingOrders.get': async ({ actor, params, tx }) =>
    respond(found(await findStandingOrder(tx, actor, params.standingOrderId), 'standing order')),

  'standingOrders.update': async (context) => {
    const { body, params, tx, audit } = context;
    const series = await lockedSeries(context, params.standingOrderId);
    if (series.status === 'ended' || series.status === 'rejected') {
      throw Problems.conflict('invalid-transition', `A standing order in state ${series.status} can no longer change.`);
    }
    if (body.contactId) {
      found(await contactOf(tx, series.facility_id, body.contactId), 'contact');
    }
    const returnMode = body.returnMode ?? series.return_mode;
    const changes: StandingOrderChanges = {
      ...(body.contactId !== undefined ? { contact_id: body.contactId } : {}),
      ...(body.daysOfWeek ? { days_of_week: `{${[...body.daysOfWeek].sort().join(',')}}` } : {}),
      ...(body.pickupTime ? { pickup_time: body.pickupTime } : {}),
      ...(body.appointmentTime ? { appointment_time: body.appointmentTime } : {}),
      ...(body.pickupAddress ? { pickup_address: body.pickupAddress } : {}),
      ...(body.dropoffAddress ? { dropoff_address: body.dropoffAddress } : {}),
      ...(body.mobility ? { mobility: body.mobility } : {}),
      ...(body.oxygen !== undefined ? { oxygen: body.oxygen } : {}),
      ...(body.companions !== undefined ? { companions: body.companions } : {}),
      ...(body.returnMode ? { return_mode: body.returnMode } : {}),
      ...(body.returnPickupTime !== undefined || returnMode !== 'timed'
        ? { return_pickup_time: returnMode === 'timed' ? (body.returnPickupTime ?? null) : null } : {}),
      ...(body.startDate ? { start_date: body.startDate } : {}),
      ...(body.endDate !== undefined ? { end_date: body.endDate } : {}),
      ...(body.excludedDates ? { excluded_dates: `{${body.excludedDates.join(',')}}` } : {}),
    };
    const updated = found(await updateStandingOrder(tx, series, changes), 'standing order');
    let leftAlone: readonly LeftAlone[] = [];
    if (updated.status === 'active') {
      const { deps, horizon } = materialising(context);
      const change = await applySeriesChange(tx, deps, updated, horizon);
      leftAlone = change.leftAlone;
      await audit({ facilityId: series.facility_id, entityType: 'standing_order', entityId: series.id, action: 'standing_order.updated',
        details: { fields: Object.keys(body).sort(), withdrawn: change.withdrawn.length, remade: change.run.tripsCreated,
          leftAlone: leftAlone.length } });
    } else {
      await audit({ facilityId: series.facility_id, entityType: 'standing_order', entityId: series.id, action: 'standing_order.updated',
        details: { fields: Object.keys(body).sort() } });
    }
    const fresh = found(await findStandingOrder(tx, context.actor, series.id), 'standing order');
    return respond(fresh, leftAlone);
  },

  'standingOrders.accept': async (context) => {
    const { body, params, tx } = context;
    const series = await lockedSeries(context, params.standingOrderId);
    const adjusted: StandingOrderChanges = {
      ...(body.pickupTime ? { pickup_time: body.pickupTime } : {}),
      ...(body.appointmentTime ? { appointment_time: body.appointmentTime } : {}),
      ...(body.returnPickupTime ? { return_pickup_time: body.returnPickupTime } : {}),
    };
    if (body.returnPickupTime && series.return_mode !== 'timed') {
      throw Problems.validation([{ path: 'returnPickupTime', message: 'Only for a series with a timed return' }]);
    }
    await transition(context, series, 'active', adjusted, { adjusted: Object.keys(body).length });
    const { deps, horizon } = materialising(context);
    await materialiseSeries(tx, deps, series.id, horizon, series.facility_id);
    const fresh = found(await findStandingOrder(tx, context.actor, series.id), 'standing order');
    // The rider's one confirmation for the whole series (receipt-level: days, local time, first day); none per trip.
    await context.notify({ facilityId: fresh.facility_id, riderId: fresh.rider_id, tripRequestId: null, event: 'series_confirmed',
      fields: { daysOfWeek: fresh.days_of_week, pickupTime: fresh.pickup_time, startDate: fresh.start_date } });
    return respond(fresh);
  },

  'standingOrders.reject': async (context) => {
    const series = await lockedSeries(context, context.params.standingOrderId);
    return respond(await transition(context, series, 'rejected', { rejection_reason: context.body.reason }));
  },

  'standingOrders.pause': async (context) => {
    const series = await lockedSeries(context, context.params.standingOrderId);
    assertTransition(standingOrderLifecycle, series.status, 'paused', 'standing order');
    const { deps, today } = materialising(context);
    const withdrawal = await withdrawOccurrences(context.tx, deps, series, 'series_paused');
    const updated = await transition(context, series, 'paused', {},
      { withdrawn: withdrawal.withdrawn.length, leftAlone: withdrawal.leftAlone.length });
    await tellRider(context, updated, 'series_paused', today);
    return respond(updated, withdrawal.leftAlone);
  },

  'standingOrders.resume': async (context) => {
    const { tx } = context;
    const series = await lockedSeries(context, context.params.standingOrderId);
    if (series.status !== 'paused') throw Problems.conflict('invalid-transition', `A standing order in state ${series.status} cannot resume.`);
    await transition(context, series, 'active');
    const { deps, horizon, today } = materialising(context);
    await materialiseSeries(tx, deps, series.id, horizon, series.facility_id);
    const fresh = found(await findStandingOrder(tx, context.actor, series.id), 'standing order');
    // The same day the horizon starts from, so the notice and the trips it describes agree across midnight.
    await tellRider(context, fresh, 'series_resumed', today);
    return respond(fresh);
  },

  'standingOrders.end': async (context) => {
    const series = await lockedSeries(context, context.params.standingOrderId);
    assertTransition(standingOrderLifecycle, series.status, 'ended', 'standing order');
    const { deps, today } = materialising(context);
    const withdrawal = await withdrawOccurrences(context.tx, deps, series, 'series_ended');
    const updated = await transition(context, series, 'ended', {},
      { withdrawn: withdrawal.withdrawn.length, leftAlone: withdrawal.leftAlone.length });
    // A pending series was never confirmed to the rider, so its end is not news to them.
    if (series.status !== 'pending') await tellRider(context, updated, 'series_ended', today);
    return respond(updated, withdrawal.leftAlone);
  },

  'standingOrders.skip': async (context) => {
    const { actor, body, tx, audit } = context;
    const series = await lockedSeries(context, context.params.standingOrderId);
    if (series.status === 'ended' || series.status === 'rejected') {
      throw Problems.conflict('invalid-transition', `A standing order in state ${series.status} has no days to skip.`);
    }
    const { today } = materialising(context);
    if (body.date < today || !isOccurrenceDate(seriesPattern(series), body.date)) {
      throw Problems.validation([{ path: 'date', message: 'One of the series\' days, today or later, not already excluded' }]);
    }
    const { rows } = await tx.query<{ id: string; status: string; leg_states: string[] }>(
      `SELECT t.id, t.status, ARRAY(SELECT l.status FROM trip_legs l WHERE l.facility_id = t.facility_id AND l.trip_request_id = t.id)
              AS leg_states
         FROM trip_requests t WHERE t.facility_id = $1 AND t.standing_order_id = $2 AND t.occurrence_date = $3
          AND NOT t.occurrence_withdrawn`,
      [series.facility_id, series.id, body.date],
    );
    const occurrence = rows[0];
    if (occurrence && occurrence.status !== 'cancelled') {
      if (isFacilityActor(actor) && touchedBecause(occurrence.status, occurrence.leg_states)) {
        throw Problems.conflict('occurrence-touched',
          'Dispatch has already planned this ride; ask for its cancellation on the trip instead.');
      }
      const trip = found(await findTripRequest(tx, actor, occurrence.id, { forUpdate: true }), 'trip request');
      await cancelTrip(context, trip, { reasonCode: 'changed_plans', decidedDirectly: true });
    }
    const updated = found(await updateStandingOrder(tx, series, {
      excluded_dates: `{${[...series.excluded_dates, body.date].sort().join(',')}}` }), 'standing order');
    await audit({ facilityId: series.facility_id, ...(occurrence ? { tripRequestId: occurrence.id } : {}), entityType: 'standing_order',
      entityId: series.id, action: 'standing_order.skipped', details: { date: body.date } });
    return respond(updated);
  },

  'standingOrders.preview': async (context) => {
    const { actor, params, query, tx } = context;
    const series = found(await findStandingOrder(tx, actor, params.standingOrderId), 'standing order');
    if (series.status === 'ended' || series.status === 'rejected') return { body: { occurrences: [] } };
    const { today } = materialising(context);
    const from = [series.start_date, today].sort()[1] as string;
    const occurrences = nextOccurrences(seriesPattern(series), from, query.count, context.deps.settings.timeZone)
      .map(({ date, pickupAt, appointmentAt, returnPickupAt }) => ({ date, pickupAt, appointmentAt, returnPickupAt }));
    return { body: { occurrences } };
  },
};
