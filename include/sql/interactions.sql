-- User activity for the interactions dataset.
-- mode 'full' reads every event that occurred before the end of the run's data interval (a FULL snapshot).
-- mode 'interval' (INCREMENTAL imports and backfills) reads the events that ARRIVED in [interval_start,
-- interval_end), whenever they occurred: a late event (a client offline, a batch upload) falls in the interval it
-- reached the database in, which no earlier run has seen, and keeps its own occurred_at as TIMESTAMP. An event
-- delivered twice is read only in the interval of its first arrival. `arrival_column` is source.arrival_column (null: select
-- by occurred_at, and late events are lost).
-- `attribution` (a metric_attribution in the config) adds what the app logged about the recommendation an event
-- followed, for Personalize's metric attribution reports.
-- Ordered by time so chunks arrive in order and duplicates can only straddle a chunk edge at one timestamp.
SELECT
    e.user_id,
    e.item_id,
    e.event_type,
    e.rating,
    e.completion,
    e.occurred_at{% if attribution %},
    e.recommendation_id,
    e.event_attribution_source{% endif %}
{% set arrival = arrival_column or "occurred_at" %}FROM events AS e
{% if mode == "interval" %}WHERE e.{{ arrival }} >= {{ interval_start }}
  AND e.{{ arrival }} < {{ interval_end }}
  AND NOT EXISTS (
      SELECT 1 FROM events AS earlier
      WHERE earlier.user_id = e.user_id AND earlier.item_id = e.item_id
        AND earlier.event_type = e.event_type AND earlier.occurred_at = e.occurred_at
        AND earlier.{{ arrival }} < e.{{ arrival }}
  )
{% else %}WHERE e.occurred_at < {{ interval_end }}
{% endif %}ORDER BY e.occurred_at
