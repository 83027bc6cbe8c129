import { KeyServiceUnavailableError } from '../crypto/errors';
import { DatabaseError, DatabaseUnavailableError, SqlState } from '../db/port';
import { HttpProblem, Problems } from './problem';

/** Refusals of schema/0022's leg triggers, which name their constraint like a CHECK does. */
const VEHICLE_REFUSALS: ReadonlyMap<string, () => HttpProblem> = new Map([
  ['trip_legs_vehicle_serves', () => Problems.vehicleLacksServiceLevel()],
  ['trip_legs_vehicle_in_service', () => Problems.vehicleOutOfService()],
  ['trip_legs_odometer_continuity', () => Problems.odometerBelowLastReading()],
]);

/**
 * What a database refusal means to the client. The database enforces rules the handlers also
 * check (lifecycles, overlaps, immutability, RLS); when it is the one that says no, the client
 * still gets a precise, internals-free answer.
 */
export function problemFromDatabaseError(error: DatabaseError): HttpProblem {
  switch (error.code) {
    case SqlState.exclusionViolation:
      return error.constraint === 'trip_legs_vehicle_no_overlap' ? Problems.vehicleDoubleBooked() : Problems.driverDoubleBooked();
    case SqlState.uniqueViolation:
      // schema/0026: a payer matches a remittance to its claim by the invoice number.
      if (error.constraint === 'billing_records_invoice_number_unique') return Problems.invoiceNumberTaken();
      return Problems.conflict('duplicate', 'That already exists.');
    case SqlState.invalidState:
      return Problems.conflict('invalid-state', 'That change is not allowed in the current state.');
    case SqlState.serializationFailure:
    case SqlState.deadlockDetected:
      return Problems.conflict('concurrent-change', 'Another change happened at the same time; try again.');
    case SqlState.foreignKeyViolation:
      return Problems.unprocessable('unknown-reference', 'A referenced resource does not exist.');
    case SqlState.checkViolation:
      return VEHICLE_REFUSALS.get(error.constraint ?? '')?.() ?? Problems.unprocessable('rule-violated', 'The change breaks a rule of the record.');
    case SqlState.notNullViolation:
      return Problems.unprocessable('rule-violated', 'The change breaks a rule of the record.');
    case SqlState.insufficientPrivilege:
      return Problems.forbidden('You may not make this change.');
    case SqlState.invalidTextRepresentation:
    // Values the schemas let through but PostgreSQL cannot read, e.g. in a client-made cursor:
    // invalid datetime format, datetime field overflow, time zone displacement, NUL character.
    case '22007':
    case '22008':
    case '22009':
    case '22021':
      return new HttpProblem(400, 'invalid-value', 'A value has the wrong format.');
    case '28000':
      return Problems.unauthenticated();
    default:
      return Problems.internal();
  }
}

export function toProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof DatabaseUnavailableError) return Problems.databaseUnavailable(error.code);
  if (error instanceof DatabaseError) return problemFromDatabaseError(error);
  // KMS throttled or down: transient, like a database failover (docs/security/encryption.md).
  if (error instanceof KeyServiceUnavailableError) return Problems.unavailable();
  return Problems.internal();
}
