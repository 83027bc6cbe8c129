-- Erasure and the public intake take turns on a private-pay rider. The intake holds the phone's
-- advisory lock (intake_lock, schema/0011) from its lookup to its commit; the API's erasure takes
-- the same lock, before locking the rider row (the order the intake uses too, so neither can
-- wait on the other in a cycle). So an erasure either sees the trip the intake just recorded and
-- refuses (the rider has an open trip), or the intake, waiting, finds the phone no longer known
-- and starts a new tenant. The lock function reads no table; it only takes the lock.
GRANT EXECUTE ON FUNCTION intake_lock(bytea) TO nemt_api;
