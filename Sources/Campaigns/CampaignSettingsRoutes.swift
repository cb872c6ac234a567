import Foundation
import MariaDB
import Outbound
import Web
import Core
import Accounts
import Messaging

/// The workspace's delivery settings (`GET` and `PUT /v1/campaigns/settings`): its SMTP relay,
/// sender and SMS webhook, and which stored secrets a change keeps.
extension CampaignRoutes {
    // MARK: Settings

    @Sendable static func settings(_ c: Context) throws -> Response {
        let row = try c.db.queryOne("SELECT * FROM campaign_settings WHERE tenant_id = \(c.tenant)")
        let effective = try MailSettings.load(c.db, c.tenant)
        return .json([
            "smtp_host": row?.json("smtp_host") ?? .null,
            "smtp_port": row?.json("smtp_port") ?? .null,
            "smtp_starttls": .bool((row?.optionalInt("smtp_starttls") ?? 1) != 0),
            "smtp_username": row?.json("smtp_username") ?? .null,
            "smtp_password_set": .bool(!(row?.optionalString("smtp_password") ?? "").isEmpty),
            "from_email": row?.json("from_email") ?? .null,
            "from_name": row?.json("from_name") ?? .null,
            "send_rate": row?.json("send_rate") ?? .null,
            "sms_webhook_url": row?.json("sms_webhook_url") ?? .null,
            "sms_webhook_secret_set": .bool(!(row?.optionalString("sms_webhook_secret") ?? "").isEmpty),
            "delivery": .string(effective.smtp == nil ? "mailbox" : "smtp"),
            "effective_send_rate": .int(effective.sendRate),
        ])
    }

    @Sendable static func updateSettings(_ c: Context) throws -> Response {
        var input = Input(try c.request.jsonObject())
        let host = input.string("smtp_host", required: false, max: 190)
        let port = input.int("smtp_port", required: false, min: 1, max: 65535)
        let startTLS = input.bool("smtp_starttls") ?? true
        let user = input.string("smtp_username", required: false, max: 190)
        let password = input.string("smtp_password", required: false, max: 190, trim: false)
        let fromEmail = input.email("from_email", required: false)
        let fromName = input.string("from_name", required: false, max: 190)
        let rate = input.int("send_rate", required: false, min: 1, max: 100_000)
        let smsURL = input.string("sms_webhook_url", required: false, max: 1024)
        if let smsURL, !smsURL.isEmpty, !(smsURL.hasPrefix("https://") || smsURL.hasPrefix("http://")) {
            input.fail("sms_webhook_url", "The SMS webhook URL must be an http or https URL.")
        }
        let smsSecret = input.string("sms_webhook_secret", required: false, max: 190, trim: false)
        try input.check()
        // The outbound guard, at once: a relay or webhook on an internal address is refused
        // here (and again on every call, as DNS may change).
        if let host, !host.isEmpty {
            do { try Outbound.check(host: host, port: port ?? 587) } catch {
                input.fail("smtp_host", error == .refused ? "The SMTP host \(OutboundError.fieldMessage)." : "The SMTP host is not a valid host name.")
            }
        }
        if let smsURL, !smsURL.isEmpty {
            do { try Outbound.check(url: smsURL) } catch {
                input.fail("sms_webhook_url", error == .refused ? "The SMS webhook URL \(OutboundError.fieldMessage)." : "The SMS webhook URL must be an http or https URL.")
            }
        }
        try input.check()
        try c.db.transaction {
            let stored = try c.db.queryOne("""
                SELECT smtp_host, smtp_port, smtp_starttls, smtp_username, smtp_password, sms_webhook_url, sms_webhook_secret
                FROM campaign_settings WHERE tenant_id = \(c.tenant) FOR UPDATE
                """)
            func was(_ column: String) -> String { stored?.optionalString(column) ?? "" }
            // The relay a password was set for: its host, port (587 unsaid, as MailSettings
            // reads it), STARTTLS (off would send it in clear) and the account.
            let sameRelay = (host ?? "").lowercased() == was("smtp_host").lowercased()
                && (port ?? 587) == (stored?.optionalInt("smtp_port") ?? 587)
                && startTLS == ((stored?.optionalInt("smtp_starttls") ?? 1) != 0)
                && (user ?? "") == was("smtp_username")
            let smtpPassword = keptSecret(
                sent: password, stored: was("smtp_password"), sameDestination: sameRelay,
                hasDestination: !(host ?? "").isEmpty && !(user ?? "").isEmpty, field: "smtp_password",
                "Enter the password again: the SMTP host, port, STARTTLS or username changed, and a stored password only goes to the relay it was set for.",
                &input)
            let webhookSecret = keptSecret(
                sent: smsSecret, stored: was("sms_webhook_secret"),
                sameDestination: (smsURL ?? "") == was("sms_webhook_url"), hasDestination: !(smsURL ?? "").isEmpty,
                field: "sms_webhook_secret",
                "Enter the signing secret again: the SMS webhook URL changed, and a stored secret only goes to the URL it was set for.",
                &input)
            try input.check()
            try c.db.execute("""
                INSERT INTO campaign_settings (tenant_id, smtp_host, smtp_port, smtp_starttls, smtp_username, smtp_password, from_email,
                                               from_name, send_rate, sms_webhook_url, sms_webhook_secret, updated_at)
                VALUES (\(c.tenant), \(host), \(port), \(startTLS), \(user), \(smtpPassword), \(fromEmail), \(fromName), \(rate), \(smsURL),
                        \(webhookSecret), UTC_TIMESTAMP(6))
                ON DUPLICATE KEY UPDATE smtp_host = VALUES(smtp_host), smtp_port = VALUES(smtp_port), smtp_starttls = VALUES(smtp_starttls),
                    smtp_username = VALUES(smtp_username), smtp_password = VALUES(smtp_password),
                    from_email = VALUES(from_email), from_name = VALUES(from_name), send_rate = VALUES(send_rate),
                    sms_webhook_url = VALUES(sms_webhook_url), sms_webhook_secret = VALUES(sms_webhook_secret),
                    updated_at = VALUES(updated_at)
                """)
            // Which settings were sent, never their values (passwords, secrets).
            try AuditLog.record(c, "settings.changed", target: ("workspace", c.tenant.id),
                                details: ["campaigns": .array(input.object.keys.sorted().map(JSON.string))])
        }
        return try settings(c)
    }

    /// What a stored secret becomes when the settings are replaced: the one sent, if any;
    /// else the stored one, but only while it still goes where it was set for (the same SMTP
    /// relay and username, the same webhook URL). Otherwise an admin, or whoever holds an
    /// admin's session, could point the relay at their own server and receive the password.
    /// With a new destination and no secret sent, 422 naming `field` (`reenter` says why);
    /// with no destination left (no host or no username, no URL), the stored one is dropped.
    static func keptSecret(sent: String?, stored: String, sameDestination: Bool, hasDestination: Bool, field: String,
                           _ reenter: String, _ input: inout Input) -> String? {
        if let sent { return sent }
        if stored.isEmpty || !hasDestination { return nil }
        if sameDestination { return stored }
        input.fail(field, reenter)
        return nil
    }
}
