-- The audit log is kept at least 30 days (AuditRetention.minimumDays): a workspace set
-- shorter before the floor existed gets the floor, as the prune job already applies it.
UPDATE tenants SET audit_retention_days = 30 WHERE audit_retention_days < 30;
