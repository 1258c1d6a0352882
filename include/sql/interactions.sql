-- User activity for the interactions dataset.
-- mode 'full' reads everything up to the end of the run's data interval (a FULL snapshot);
-- mode 'interval' reads only [interval_start, interval_end) (INCREMENTAL imports and backfills).
-- Ordered by time so chunks arrive in order and duplicates can only straddle a chunk edge at one timestamp.
SELECT
    user_id,
    item_id,
    event_type,
    rating,
    completion,
    occurred_at
FROM events
WHERE occurred_at < {{ interval_end }}
{% if mode == "interval" %}  AND occurred_at >= {{ interval_start }}
{% endif %}ORDER BY occurred_at
