-- The multimedia catalogue as of the end of the run's data interval (titles are not used for training).
SELECT item_id, genres, created_at
FROM items
WHERE created_at < {{ interval_end }}
ORDER BY item_id
