-- Official rates through the tenge (services/platform/reference/rates.go):
-- for every currency and day, KZT per unit of the currency and KZT per USD
-- in force that day, the rate day used (the older of the two), and whether
-- it is past the stale limit (stale) or the hard limit (expired: found = 0).
-- The tables are loaded from the rates store at every start (the digest of
-- the load names the new tables, so the first start after this reloads).
DROP TABLE IF EXISTS fx_join;
DROP TABLE IF EXISTS fx_daily;
CREATE TABLE IF NOT EXISTS fx_daily (
    currency      String,
    day           Date,
    kzt_per_unit  Decimal(38, 8),
    kzt_per_usd   Decimal(38, 8),
    rate_day      Date,
    found         UInt8,
    stale         UInt8,
    expired       UInt8
) ENGINE = MergeTree
ORDER BY (currency, day);
CREATE TABLE IF NOT EXISTS fx_join (
    fx_key        String,
    kzt_per_unit  Decimal(38, 8),
    kzt_per_usd   Decimal(38, 8),
    rate_day      Date,
    fx_found      UInt8,
    fx_stale      UInt8,
    fx_expired    UInt8
) ENGINE = Join(ANY, LEFT, fx_key);
