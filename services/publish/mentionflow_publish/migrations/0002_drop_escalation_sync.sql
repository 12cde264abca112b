-- People's acknowledgements and resolutions now reach publish as events (incidents.actions)
-- and are paged in the transaction that applies them: nothing is left to poll for.
DROP TABLE publish_escalation_sync;
