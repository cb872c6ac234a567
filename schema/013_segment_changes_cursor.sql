-- segment_entered / segment_exited automations read one segment's entries and exits past
-- their cursor (AutomationTriggers.intake): by segment, then id.
ALTER TABLE segment_changes ADD KEY idx_segment_changes_cursor (segment_id, id);
