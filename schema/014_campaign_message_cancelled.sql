-- A campaign cancelled while sending ends its messages that were still waiting: they are
-- 'cancelled' (never sent), so nothing stays pending for ever.
ALTER TABLE campaign_messages MODIFY status
    ENUM('queued', 'sending', 'sent', 'opened', 'clicked', 'bounced', 'unsubscribed', 'failed', 'cancelled') NOT NULL DEFAULT 'queued';
