-- Amounts are converted when a figure is read (analytics/fx.go), at the
-- rates of fx_daily: the conversions stored at ingest go. Leads gain the day
-- their current stage took effect, the day their capex converts at; rows
-- written before it read the Astana day of stage_changed_at.
ALTER TABLE lead_states DROP COLUMN capex_usd;
ALTER TABLE lead_states DROP COLUMN capex_kzt;
ALTER TABLE lead_states DROP COLUMN fx_rate_month;
ALTER TABLE lead_states DROP COLUMN fx_missing;
ALTER TABLE lead_states ADD COLUMN stage_day Date DEFAULT toDate(stage_changed_at, 'Asia/Almaty');
ALTER TABLE decision_states DROP COLUMN value_usd;
ALTER TABLE decision_states DROP COLUMN value_kzt;
ALTER TABLE decision_states DROP COLUMN fx_rate_month;
ALTER TABLE decision_states DROP COLUMN fx_missing;
ALTER TABLE deal_states DROP COLUMN value_usd;
ALTER TABLE deal_states DROP COLUMN value_kzt;
ALTER TABLE deal_states DROP COLUMN fx_rate_month;
ALTER TABLE deal_states DROP COLUMN fx_missing;
ALTER TABLE barrier_states DROP COLUMN value_at_stake_usd;
ALTER TABLE barrier_states DROP COLUMN value_at_stake_kzt;
ALTER TABLE barrier_states DROP COLUMN fx_rate_month;
ALTER TABLE barrier_states DROP COLUMN fx_missing;
