-- What the action servers' role (db-roles.sql) may do with the tables, granted by their owner: the content Job
-- runs this with psql after loading the content and creating the feedback tables (deploy/k8s/content-job.yaml).
-- It goes by the tables' prefixes, so a table added later is covered by the next load:
--   content_*   SELECT: the action servers read the library and its revision;
--   feedback_*  INSERT and DELETE (a vote, an unanswered question; the daily purge of expired ones), and SELECT
--               only on the bookkeeping columns that INSERT ... RETURNING and the purge's WHERE read: the
--               stored questions and conversation hashes stay unreadable;
--   the rest (Rasa's events: the conversations) nothing.
--
--   psql -X -v ON_ERROR_STOP=1 -v reader=spasticity_reader [-v schema=public] -f deploy/k8s/db-grants.sql
\set ON_ERROR_STOP on
\if :{?schema}
\else
  \set schema public
\endif

SELECT format('GRANT SELECT ON %I.%I TO %I', schemaname, tablename, :'reader')
FROM pg_tables WHERE schemaname = :'schema' AND tablename LIKE 'content\_%' ORDER BY tablename \gexec

SELECT format('GRANT INSERT, DELETE ON %I.%I TO %I', schemaname, tablename, :'reader')
FROM pg_tables WHERE schemaname = :'schema' AND tablename LIKE 'feedback\_%' ORDER BY tablename \gexec

SELECT format('GRANT SELECT (%s) ON %I.%I TO %I',
              string_agg(quote_ident(column_name), ', ' ORDER BY column_name), table_schema, table_name, :'reader')
FROM information_schema.columns
WHERE table_schema = :'schema' AND table_name LIKE 'feedback\_%' AND column_name IN ('id', 'vote_id', 'created_at')
GROUP BY table_schema, table_name ORDER BY table_name \gexec

SELECT format('GRANT USAGE ON SEQUENCE %I.%I TO %I', schemaname, sequencename, :'reader')
FROM pg_sequences WHERE schemaname = :'schema' AND sequencename LIKE 'feedback\_%' ORDER BY sequencename \gexec
