-- Issue 20: purchases reported by browsers (publishable keys) count towards customers'
-- lifetime value only where the workspace turns this on. Anyone can send such an event
-- from a web page with the key in its HTML, so it is off by default.
ALTER TABLE tenants ADD COLUMN count_browser_revenue TINYINT(1) NOT NULL DEFAULT 0;
