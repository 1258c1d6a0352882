-- Push-down on PostgreSQL: the items dataset in Personalize's columns, as personalize_pipeline.transform.items makes
-- them. GENRES: accents folded (NFKD, then ASCII only), lower case, each '|'-separated part with runs of other
-- characters made '_' and trimmed of '_', empty parts dropped, repeats dropped keeping the first, null when none.
WITH source AS (
{% include "items.sql" %}
)
SELECT
    CAST(s.item_id AS text) AS "ITEM_ID",
    (SELECT string_agg(part, '|' ORDER BY first_at)
     FROM (SELECT part, min(n) AS first_at
           FROM unnest(string_to_array(
                    lower(regexp_replace(normalize(CAST(s.genres AS text), NFKD), '[^\x01-\x7f]', '', 'g')), '|'))
                WITH ORDINALITY AS raw(piece, n)
                CROSS JOIN LATERAL (SELECT btrim(regexp_replace(btrim(piece), '[^a-z0-9]+', '_', 'g'), '_') AS part) c
           WHERE part <> ''
           GROUP BY part) parts) AS "GENRES",
    CAST(CASE WHEN s.created_at >= 100000000000 THEN s.created_at / 1000 ELSE s.created_at END AS bigint)
        AS "CREATION_TIMESTAMP"
FROM source AS s
ORDER BY "ITEM_ID"
