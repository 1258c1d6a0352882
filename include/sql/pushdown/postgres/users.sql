-- Push-down on PostgreSQL: the users dataset in Personalize's columns, as personalize_pipeline.transform.users
-- makes them.
WITH source AS (
{% include "users.sql" %}
)
SELECT
    CAST(user_id AS text) AS "USER_ID",
    CAST(age AS bigint) AS "AGE",
    upper(btrim(CAST(gender AS text))) AS "GENDER",
    lower(btrim(CAST(location AS text))) AS "LOCATION",
    lower(btrim(CAST(education AS text))) AS "EDUCATION"
FROM source
ORDER BY "USER_ID"
