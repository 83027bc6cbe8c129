import { vehicleLifecycle } from '../../shared/domain/lifecycles';
import { Problems } from '../../shared/http/problem';
import {
  columnsOf, findVehicle, insertVehicle, legsAheadFor, listVehicles, readingOf, recordOdometerCorrection, toVehicle, updateVehicle,
  type VehicleChanges, type VehicleRow,
} from '../data/vehicles';
import type { HandlerTable } from '../handler-types';
import { decodeCursor, pageOf } from './pagination';
import { assertTransition, assertVersion, found } from './support';

type VehicleHandlers = Pick<HandlerTable,
  'vehicles.list' | 'vehicles.get' | 'vehicles.create' | 'vehicles.update' | 'vehicles.transition' | 'vehicles.correctOdometer'>;

/** Provider-level events chain under no tenant, like staff users' (schema/0004). */
const PROVIDER = null;
/** How many of the legs keeping a vehicle in service an answer names. */
const LEGS_NAMED = 10;

const respond = (row: VehicleRow) => ({ body: toVehicle(row), version: row.version });

export const vehicleHandlers: VehicleHandlers = {
  'vehicles.list': async ({ query, tx }) => {
    const rows = await listVehicles(tx, { status: query.status }, { after: decodeCursor(query.cursor), limit: query.limit });
    return { body: pageOf(rows, query.limit, toVehicle, (row) => [row.name, row.id]) };
  },

  'vehicles.get': async ({ params, tx }) => respond(found(await findVehicle(tx, params.vehicleId), 'vehicle')),

  'vehicles.create': async ({ body, tx, audit }) => {
    const vehicle = await insertVehicle(tx, { name: body.name, plate: body.plate, kind: body.kind, ...columnsOf(body.capabilities) });
    await audit({ facilityId: PROVIDER, entityType: 'vehicle', entityId: vehicle.id, action: 'vehicle.created', toState: vehicle.status,
      details: { kind: vehicle.kind } });
    return { ...respond(vehicle), status: 201 };
  },

  'vehicles.update': async ({ params, body, ifMatch, tx, audit }) => {
    const vehicle = found(await findVehicle(tx, params.vehicleId, { forUpdate: true }), 'vehicle');
    assertVersion(ifMatch, vehicle.version);
    if (vehicle.status === 'retired') throw Problems.conflict('vehicle-retired', `${vehicle.name} is retired and can no longer change.`);
    const requested: VehicleChanges = {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.plate !== undefined ? { plate: body.plate } : {}),
      ...(body.kind !== undefined ? { kind: body.kind } : {}),
      ...(body.capabilities !== undefined ? columnsOf(body.capabilities) : {}),
    };
    const changes = Object.fromEntries(Object.entries(requested)
      .filter(([column, value]) => vehicle[column as keyof VehicleRow] !== value)) as VehicleChanges;
    if (Object.keys(changes).length === 0) return respond(vehicle);
    // Legs already assigned keep their vehicle: capabilities are checked when a vehicle is chosen.
    const updated = found(await updateVehicle(tx, vehicle, changes), 'vehicle');
    await audit({ facilityId: PROVIDER, entityType: 'vehicle', entityId: vehicle.id, action: 'vehicle.updated',
      details: { fields: Object.keys(changes).sort() } });
    return respond(updated);
  },

  'vehicles.transition': async ({ params, body, ifMatch, tx, audit }) => {
    // Locked first: an assignment to this vehicle waits (its trigger reads the vehicle FOR SHARE),
    // so the legs read below are all the legs it holds.
    const vehicle = found(await findVehicle(tx, params.vehicleId, { forUpdate: true }), 'vehicle');
    assertVersion(ifMatch, vehicle.version);
    assertTransition(vehicleLifecycle, vehicle.status, body.to, 'vehicle');
    if (body.to === 'out_of_service' && body.reason === undefined) {
      throw Problems.validation([{ path: 'reason', message: 'Say why the vehicle is out of service' }]);
    }
    if (body.to === 'in_service' && body.reason !== undefined) {
      throw Problems.validation([{ path: 'reason', message: 'A vehicle back in service has no reason to give' }]);
    }
    if (body.to !== 'in_service') {
      const legs = await legsAheadFor(tx, vehicle.id, LEGS_NAMED);
      if (legs.length > 0) {
        throw Problems.conflict('vehicle-has-assigned-legs', `${vehicle.name} is assigned to legs still to come (${legs.join(', ')}`
          + `${legs.length === LEGS_NAMED ? ', …' : ''}); assign them another vehicle first.`);
      }
    }
    const reason = body.to === 'in_service' ? null : (body.reason ?? (body.to === 'retired' ? vehicle.out_of_service_reason : null));
    const updated = found(await updateVehicle(tx, vehicle, { status: body.to, out_of_service_reason: reason }), 'vehicle');
    await audit({ facilityId: PROVIDER, entityType: 'vehicle', entityId: vehicle.id, action: `vehicle.${body.to}`,
      fromState: vehicle.status, toState: body.to });
    return respond(updated);
  },

  'vehicles.correctOdometer': async ({ actor, params, body, ifMatch, tx, audit }) => {
    const vehicle = found(await findVehicle(tx, params.vehicleId, { forUpdate: true }), 'vehicle');
    assertVersion(ifMatch, vehicle.version);
    if (vehicle.status === 'retired') throw Problems.conflict('vehicle-retired', `${vehicle.name} is retired and can no longer change.`);
    const updated = found(await updateVehicle(tx, vehicle, { odometer: body.reading }), 'vehicle');
    const correctionId = await recordOdometerCorrection(tx, { vehicleId: vehicle.id, before: vehicle.odometer,
      after: updated.odometer ?? String(body.reading), reason: body.reason, correctedBy: actor.sub });
    // Readings are figures, not personal data; the reason is free text, kept with the correction, not in the trail.
    await audit({ facilityId: PROVIDER, entityType: 'vehicle', entityId: vehicle.id, action: 'vehicle.odometer_corrected',
      details: { correctionId, from: readingOf(vehicle), to: readingOf(updated) } });
    return respond(updated);
  },
};
