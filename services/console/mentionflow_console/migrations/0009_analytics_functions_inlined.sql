-- console_business_seconds, evaluated about 1.5 million times per monthly report over a million
-- items, did its binary search four times per call and its arithmetic in numeric (extract(epoch)).
-- Same meaning with two searches and float arithmetic: the console now passes, per
-- open interval, `bases` (open seconds before it minus its start's epoch) and `ends` (open
-- seconds up to its end), behind an empty interval at the start of time, so that any instant
-- finds an interval and the business seconds up to `t` are least(epoch(t) + base, end). The epoch
-- is taken of an interval (date_part of a timestamptz is only STABLE, which would stop PostgreSQL
-- from inlining this IMMUTABLE function into the query, making every call a function call).
DROP FUNCTION console_business_seconds(timestamptz, timestamptz[], float8[], float8[]);
CREATE FUNCTION console_business_seconds(t timestamptz, starts timestamptz[], bases float8[], ends float8[])
RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT least(date_part('epoch', t - timestamptz '1970-01-01 00:00:00+00') + bases[width_bucket(t, starts)],
                 ends[width_bucket(t, starts)])
$$;

-- The clamp at zero, which stays NULL for no duration, was only inlined when its argument was
-- cheap: it names `x` twice, so for a difference of business seconds PostgreSQL called it as a
-- function per row (a second of a report over a million items). float8larger, the strict
-- "larger of two" behind max(float8), names it once: NULL in, NULL out, as before.
CREATE OR REPLACE FUNCTION console_not_negative(x float8) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT float8larger(x, 0::float8)
$$;
