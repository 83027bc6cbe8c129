-- When a user was disabled. Enabling them again (POST /v1/users/{id}/enable) waits until every
-- access token issued before the disable has expired (at most 60 minutes, SECURITY S9): the API
-- trusts the database's copy of a user, not the token's age, so an older token would otherwise
-- work again the moment its user is enabled. Users disabled before this column existed have no
-- value; the API then counts from the row's last update, which the disable was.
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
