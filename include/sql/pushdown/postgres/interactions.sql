-- Push-down (source.mode: pushdown) on PostgreSQL: the interactions dataset in Personalize's columns, computed in
-- the database, as personalize_pipeline.transform.interactions computes them from the streamed rows. The event
-- selection is include/sql/interactions.sql's (FULL snapshot or the arrival interval); then the event filter, the
-- event value (the rating, or 5 x completion for unrated views, 2 decimals), epoch seconds (milliseconds divided
-- down) and one row per (USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP). Bounds and the filter's values are numbers and
-- event types the config validated, rendered as literals; nothing else comes from outside.
WITH source AS (
{% include "interactions.sql" %}
), shaped AS (
    SELECT
        CAST(user_id AS text) AS "USER_ID",
        CAST(item_id AS text) AS "ITEM_ID",
        lower(btrim(event_type)) AS "EVENT_TYPE",
        -- In double precision, scaled, rounded half to even, scaled back, as numpy rounds: numeric would round
        -- 4.745 up where the stream's binary 4.74499... rounds down.
        CAST(COALESCE(CAST(rating AS double precision), round(CAST(completion AS double precision) * 5 * 100) / 100)
             AS real) AS "EVENT_VALUE",
        CAST(CASE WHEN occurred_at >= 100000000000 THEN occurred_at / 1000 ELSE occurred_at END AS bigint)
            AS "TIMESTAMP"{% if attribution %},
        NULLIF(btrim(CAST(recommendation_id AS text)), '') AS "RECOMMENDATION_ID",
        NULLIF(btrim(CAST(event_attribution_source AS text)), '') AS "EVENT_ATTRIBUTION_SOURCE"{% endif %}
    FROM source
    WHERE lower(btrim(event_type)) IN ({% for t in event_types %}'{{ t }}'{% if not loop.last %}, {% endif %}{% endfor %})
{% if positive_only %}      AND COALESCE(rating >= {{ min_rating }}
               OR (lower(btrim(event_type)) = 'watch' AND completion >= {{ min_completion }}), false)
{% endif %})
SELECT DISTINCT ON ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP") *
FROM shaped
ORDER BY "USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"
