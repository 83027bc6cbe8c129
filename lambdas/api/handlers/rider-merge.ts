import { Problems } from '../../shared/http/problem';
import { findRider, openRider, RIDER_COLUMNS, type RiderRow, toRider } from '../data/riders';
import type { HandlerTable } from '../handler-types';
import { assertVersion, found } from './support';

type RiderMergeHandlers = Pick<HandlerTable, 'riders.duplicates' | 'riders.merge'>;

interface DuplicateRow {
  id: string;
  facility_id: string;
  created_at: string;
  trip_count: number;
}

/** At most this many duplicates are listed; a phone with more is a case for an operator, not a board. */
const DUPLICATES_LIMIT = 100;

/**
 * The public intake never reuses a stored rider (schema/0019): each submission is its own rider in
 * its own individual tenant, with the contact it gave. The same person asking twice is therefore
 * two riders sharing the provider-level phone index; a Dispatcher sees them here and links the
 * duplicate to the rider it repeats. A merge is a link on the duplicate, audited in both tenants'
 * chains; trips, contacts and messages stay where they are.
 */
export const riderMergeHandlers: RiderMergeHandlers = {
  'riders.duplicates': async ({ actor, params, tx }) => {
    const rider = found(await findRider(tx, actor, params.riderId), 'rider');
    const { rows } = await tx.query<DuplicateRow>(
      `SELECT r.id, r.facility_id, r.created_at,
              (SELECT count(*)::int FROM trip_requests t WHERE t.facility_id = r.facility_id AND t.rider_id = r.id) AS trip_count
         FROM riders self
         JOIN riders r ON r.intake_phone_index = self.intake_phone_index AND r.id <> self.id
         JOIN facilities f ON f.id = r.facility_id AND f.kind = 'individual'
        WHERE self.facility_id = $1 AND self.id = $2 AND self.intake_phone_index IS NOT NULL
          AND r.merged_into_rider_id IS NULL AND r.erased_at IS NULL
        ORDER BY r.created_at, r.id
        LIMIT ${DUPLICATES_LIMIT}`,
      [rider.facility_id, rider.id],
    );
    return { body: { items: rows.map((row) => ({ id: row.id, facilityId: row.facility_id, createdAt: row.created_at,
      tripCount: row.trip_count })) } };
  },

  'riders.merge': async ({ actor, params, body, ifMatch, tx, audit, deps }) => {
    if (body.intoRiderId === params.riderId) {
      throw Problems.validation([{ path: 'intoRiderId', message: 'A rider cannot be merged into itself' }]);
    }
    // Both rows locked in id order: two dispatchers merging a pair either way round cannot deadlock.
    await tx.query('SELECT id FROM riders WHERE id IN ($1::uuid, $2::uuid) ORDER BY id FOR UPDATE',
      [params.riderId, body.intoRiderId]);
    const rider = found(await findRider(tx, actor, params.riderId, { forUpdate: true }), 'rider');
    assertVersion(ifMatch, rider.version);
    if (rider.erased_at !== null) throw Problems.conflict('rider-erased', 'An erased rider cannot be merged.');
    if (rider.merged_into_rider_id !== null) {
      throw Problems.conflict('rider-already-merged', 'This rider is already merged into another.');
    }
    const { rows: targets } = await tx.query<{ id: string; facility_id: string }>(
      `SELECT r.id, r.facility_id
         FROM riders self
         JOIN riders r ON r.intake_phone_index = self.intake_phone_index
         JOIN facilities f ON f.id = r.facility_id AND f.kind = 'individual'
        WHERE self.facility_id = $1 AND self.id = $2 AND r.id = $3
          AND r.erased_at IS NULL AND r.merged_into_rider_id IS NULL`,
      [rider.facility_id, rider.id, body.intoRiderId],
    );
    const target = targets[0];
    if (!target) {
      throw Problems.conflict('not-a-duplicate',
        'That rider is not a duplicate of this one (same phone, private-pay, not erased, not merged itself).');
    }
    const { rows } = await tx.query<RiderRow>(
      `UPDATE riders SET merged_into_rider_id = $3 WHERE facility_id = $1 AND id = $2 RETURNING ${RIDER_COLUMNS}`,
      [rider.facility_id, rider.id, target.id],
    );
    const merged = rows[0] as RiderRow;
    await audit({ facilityId: rider.facility_id, entityType: 'rider', entityId: rider.id, action: 'rider.merged',
      details: { intoRiderId: target.id, intoFacilityId: target.facility_id } });
    await audit({ facilityId: target.facility_id, entityType: 'rider', entityId: target.id, action: 'rider.merge_received',
      details: { duplicateRiderId: rider.id, duplicateFacilityId: rider.facility_id } });
    return { body: toRider((await openRider(deps.pii, tx, merged)).view), version: merged.version };
  },
};
