-- The job runner's hourly `accounts.prune` (Sources/EnterCRM/Accounts/AccountHousekeeping.swift)
-- removes what sign-in and e-mail links leave behind once it can no longer matter: these keys
-- let it find those rows without reading the whole table.
ALTER TABLE account_tokens ADD KEY idx_account_tokens_expires (expires_at);
ALTER TABLE sessions ADD KEY idx_sessions_expires (expires_at);
