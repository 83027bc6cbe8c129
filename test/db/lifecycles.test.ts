import { LIFECYCLES } from '../../lambdas/shared/domain/lifecycles';
import { useTestDatabase } from '../support/database';

const db = useTestDatabase();

/** The application's state machines and the database's must be the same machines. */
describe.each(Object.entries(LIFECYCLES))('%s lifecycle', (entity, machine) => {
  test('states, initial and final states match the database', async () => {
    const { rows } = await db().owner.query<{ state: string; is_initial: boolean; is_final: boolean }>(
      'SELECT state, is_initial, is_final FROM lifecycle_states WHERE entity = $1 ORDER BY state',
      [entity],
    );
    expect(rows.map((row) => row.state)).toEqual(Object.keys(machine.transitions).sort());
    expect(rows.filter((row) => row.is_initial).map((row) => row.state)).toEqual([machine.initial]);
    expect(rows.filter((row) => row.is_final).map((row) => row.state).sort()).toEqual([...machine.final].sort());
  });

  test('transitions match the database', async () => {
    const { rows } = await db().owner.query<{ from_state: string; to_state: string }>(
      'SELECT from_state, to_state FROM lifecycle_transitions WHERE entity = $1',
      [entity],
    );
    const inDatabase = rows.map((row) => `${row.from_state}->${row.to_state}`).sort();
    const inCode = Object.entries(machine.transitions as Record<string, readonly string[]>)
      .flatMap(([from, targets]) => targets.map((to) => `${from}->${to}`))
      .sort();
    expect(inDatabase).toEqual(inCode);
  });
});
