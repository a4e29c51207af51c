-- The action servers' database role: run once, by whoever may create roles (the database administrator), before
-- the first `kubectl apply -k deploy/`. It only creates the role and lets it connect; which tables it may use is
-- granted by their owner, the content Job, with db-grants.sql after every load.
--
--   psql -X -v ON_ERROR_STOP=1 -d spasticity -v owner=spasticity -v reader=spasticity_reader \
--        -v reader_password="$(openssl rand -hex 24)" -f deploy/k8s/db-roles.sql
--
-- Put the same password into CONTENT_READER_DATABASE_URL in the Secret (deploy/k8s/secret.example.yaml).
--   owner:  the application's role, which already exists: the content Job and Rasa's tracker store use it, and it
--           owns every table (content_*, feedback_*, Rasa's events);
--   reader: the action servers' role: reads the content, adds feedback and deletes expired feedback. It cannot
--           change the content, read the stored questions or the conversations, or create anything.
--   schema: where the tables are (default public).
\set ON_ERROR_STOP on
\if :{?schema}
\else
  \set schema public
\endif

SELECT format('CREATE ROLE %I', :'reader')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'reader') \gexec
ALTER ROLE :"reader" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'reader_password';
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'reader') \gexec

-- Before PostgreSQL 15 every role may create tables in the public schema; here only the owner may.
REVOKE CREATE ON SCHEMA :"schema" FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA :"schema" TO :"owner";
GRANT USAGE ON SCHEMA :"schema" TO :"reader";
