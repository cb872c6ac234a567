-- Roles that mean something (issue 20): a read-only `viewer`, beside owner, admin and member.
-- What each role may do is the permission table in Sources/EnterCRM/Accounts/Permissions.swift.
ALTER TABLE memberships MODIFY role ENUM('owner', 'admin', 'member', 'viewer') NOT NULL DEFAULT 'member';
