-- A facility's street address (CONSOLE.md: the facility's own address is the sensible default
-- drop-off when its schedulers request a ride). Business data of a clinic or nursing home, shown to
-- its own people and to staff; a private-pay individual's tenant never has one, since that would be
-- a person's home address outside the sealed rider record.
ALTER TABLE facilities ADD COLUMN address text
  CONSTRAINT facilities_address_check CHECK (address IS NULL OR (kind = 'facility' AND length(address) BETWEEN 1 AND 500));
