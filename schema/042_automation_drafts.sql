-- An automation's draft design (issue 23 part 4): a flow still being drawn, saved with its
-- problems so that a first-time user does not lose it. The running design stays in `design`
-- (checked when saved); the draft is never run, and an automation with a draft is not
-- activated until the draft is saved as a complete design (which clears it).
ALTER TABLE automations ADD COLUMN draft_design LONGTEXT NULL CHECK (draft_design IS NULL OR JSON_VALID(draft_design));
