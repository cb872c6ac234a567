-- Accounts with proven addresses (issue 20, Deliver 1).
--
-- An email address is unique only among VERIFIED accounts: `verified_email` is the address
-- once verified and NULL before, and the unique key is on it. Registering a taken address
-- makes a new, unverified account (the answer is the same as for a free address); it can
-- never be verified while another account holds the address verified.
-- Accounts made before this migration count as verified: they were made before the rule.
--
-- Account addresses (users.email, users.verified_email, invitations.email,
-- login_throttle.email) compare exactly (utf8mb4_bin): the application lowercases an address
-- on the way in (Input.email), so case does not matter, but accents and other variants do.
-- Under utf8mb4_unicode_ci "alicé@company.com" would find the account of alice@company.com.
UPDATE users SET email = LOWER(email);
ALTER TABLE users
    MODIFY email VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    ADD COLUMN email_verified_at DATETIME(6) NULL AFTER email;
UPDATE users SET email_verified_at = created_at;
ALTER TABLE users
    ADD COLUMN verified_email VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
        AS (IF(email_verified_at IS NULL, NULL, email)) PERSISTENT AFTER email_verified_at,
    DROP INDEX uq_email,
    ADD UNIQUE KEY uq_verified_email (verified_email),
    ADD KEY idx_users_email (email, email_verified_at),
    -- Failed sign-ins no longer lock the account: they slow the source (login_throttle).
    DROP COLUMN failed_logins,
    DROP COLUMN login_locked_until;

-- Single-use links sent by email: address verification (24 h) and password reset (1 h).
-- Stored only as SHA-256; issuing a new one of a purpose kills the older ones.
CREATE TABLE account_tokens (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT UNSIGNED NOT NULL,
    purpose ENUM('verify_email', 'password_reset') NOT NULL,
    token_hash CHAR(64) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_at DATETIME(6) NULL,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_account_token_hash (token_hash),
    KEY idx_account_tokens_user (user_id, purpose),
    CONSTRAINT fk_account_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Failed sign-ins per (address tried, client address): after 5, that pair waits 15 s, then
-- 30, 60 … up to 15 min (AuthRoutes.firstDelay, longestDelay). Another client address is not slowed, so nobody can lock the holder out.
CREATE TABLE login_throttle (
    email VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    ip VARCHAR(45) NOT NULL,
    failures INT UNSIGNED NOT NULL DEFAULT 0,
    blocked_until DATETIME(6) NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (email, ip),
    KEY idx_login_throttle_updated (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An invitation is to an ADDRESS, not to an account: the account joins only when its holder
-- accepts (signed in, with that address verified), or a new person sets a password through
-- the emailed link (which proves the address). user_id is the account that accepted.
ALTER TABLE invitations
    DROP FOREIGN KEY fk_invitations_user,
    MODIFY user_id BIGINT UNSIGNED NULL,
    ADD COLUMN email VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '' AFTER tenant_id,
    ADD COLUMN name VARCHAR(120) NULL AFTER email,
    ADD COLUMN role VARCHAR(20) NOT NULL DEFAULT 'member' AFTER name,
    ADD COLUMN revoked_at DATETIME(6) NULL AFTER accepted_at,
    ADD KEY idx_invitations_tenant (tenant_id, accepted_at, revoked_at, email);
ALTER TABLE invitations
    ADD CONSTRAINT fk_invitations_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL;
-- Old invitations were made together with the account and its membership: they keep their
-- address and role, and the ones still pending are revoked (their token set a password
-- without proving anything; those people use "forgot password", which does).
UPDATE invitations i JOIN users u ON u.id = i.user_id
    LEFT JOIN memberships m ON m.tenant_id = i.tenant_id AND m.user_id = i.user_id
    SET i.email = u.email, i.name = u.name, i.role = COALESCE(m.role, 'member');
UPDATE invitations SET revoked_at = UTC_TIMESTAMP(6) WHERE accepted_at IS NULL AND revoked_at IS NULL;
