-- The contacts routes (GET /v1/contacts) list a tenant's contacts, or every tenant's for staff,
-- newest first by keyset: index-only walks to a page, as the other lists.
CREATE INDEX contacts_facility_list ON contacts (facility_id, created_at DESC, id DESC);
CREATE INDEX contacts_list ON contacts (created_at DESC, id DESC);
