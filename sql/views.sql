-- One view per published table (docs/schema.md, shared/CONTRACT.md).
-- Each path starts with a placeholder for the snapshot folder (normally OUT/current)
-- that whoever loads this file replaces first: make duckdb, tests/e2e/readme_queries.py.
-- The globs are read at query time, so the views follow `current` when a run swaps it.
CREATE OR REPLACE VIEW documents AS SELECT * FROM read_parquet('${SNAP}/documents/*.parquet');
CREATE OR REPLACE VIEW meetings AS SELECT * FROM read_parquet('${SNAP}/meetings/*.parquet');
CREATE OR REPLACE VIEW person_mentions AS SELECT * FROM read_parquet('${SNAP}/person_mentions/*.parquet');
CREATE OR REPLACE VIEW people AS SELECT * FROM read_parquet('${SNAP}/people/*.parquet');
CREATE OR REPLACE VIEW metrics AS SELECT * FROM read_parquet('${SNAP}/metrics/*.parquet');
CREATE OR REPLACE VIEW awards AS SELECT * FROM read_parquet('${SNAP}/awards/*.parquet');
CREATE OR REPLACE VIEW unit_year_metrics AS SELECT * FROM read_parquet('${SNAP}/unit_year_metrics/*.parquet');
CREATE OR REPLACE VIEW co_attendance AS SELECT * FROM read_parquet('${SNAP}/co_attendance/*.parquet');
