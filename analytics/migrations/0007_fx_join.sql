-- fx_join holds what fx_daily holds, in a Join table keyed by currency and
-- day ('EUR2024-01-31'), read with joinGet: the table stays in memory (and
-- on disk), instead of every converting query building a hash table from
-- fx_daily's ~150,000 rows (60-80 ms each on 18.16). 18.16's joinGet takes
-- one key, hence the single key column. A Join table cannot be read with
-- SELECT on 18.16: fx_daily stays the readable copy.
CREATE TABLE IF NOT EXISTS fx_join (
    fx_key        String,
    per_usd       Decimal(38, 6),
    kzt_per_usd   Decimal(38, 6),
    usd_rate_day  Date,
    kzt_rate_day  Date,
    fx_found      UInt8
) ENGINE = Join(ANY, LEFT, fx_key);
