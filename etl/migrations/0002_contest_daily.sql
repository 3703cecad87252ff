-- contest × day (of ts, UTC) × market over the accruals: a plain view, so it
-- is always exact and needs no backfill.
CREATE VIEW IF NOT EXISTS contest_daily AS
SELECT
    contest,
    toDate(ts) AS day,
    market,
    count() AS events,
    uniqExact(user_id) AS players,
    countIf(result = 'counted') AS counted,
    countIf(result != 'counted') AS rejected,
    sum(points) AS points
FROM accruals
GROUP BY contest, day, market;
