-- Runs once, when the replica's data directory is created (the primary is healthy
-- by then). The replication settings are kept in the data directory, so the
-- replica resumes by itself after the entrypoint restarts the server.
CHANGE REPLICATION SOURCE TO
  SOURCE_HOST = 'mysql-primary',
  SOURCE_PORT = 3306,
  SOURCE_USER = 'osc_repl',
  SOURCE_PASSWORD = 'osc_repl',
  SOURCE_AUTO_POSITION = 1,
  GET_SOURCE_PUBLIC_KEY = 1,
  SOURCE_CONNECT_RETRY = 2;
START REPLICA;
