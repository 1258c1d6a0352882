-- User metadata: demographics used by the user-personalization recipes.
SELECT user_id, age, gender, location, education
FROM users
ORDER BY user_id
