-- The table idempotent() of @polycloud/runtime records processed keys in. Shipped with the
-- runtime and applied by the migration step of every database that a function built on the
-- runtime may connect to, before the service's own migrations.
--
-- Expiry: a key is kept until expires_at (30 days after it was claimed, unless idempotent() is
-- given another retention). An expired key counts as unseen (the work runs again), and
-- idempotent() deletes expired keys in small batches as it goes. 30 days outlasts every redelivery
-- window the platform configures (queue retention up to 14 days plus a DLQ kept 14 days and then
-- redriven).
CREATE TABLE IF NOT EXISTS polycloud_idempotency (
  key text PRIMARY KEY,
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Tables that earlier runtime versions created at request time lack the expiry.
ALTER TABLE polycloud_idempotency ADD COLUMN IF NOT EXISTS expires_at timestamptz NOT NULL DEFAULT now() + interval '30 days';
CREATE INDEX IF NOT EXISTS polycloud_idempotency_expires_at ON polycloud_idempotency (expires_at);
