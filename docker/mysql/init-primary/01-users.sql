-- Runs once, when the primary's data directory is created. Written to the binlog
-- with GTIDs, so the replica (auto-positioned from the start) gets these users too.
CREATE USER 'osc'@'%' IDENTIFIED BY 'osc';
GRANT ALL PRIVILEGES ON *.* TO 'osc'@'%' WITH GRANT OPTION;
CREATE USER 'osc_repl'@'%' IDENTIFIED BY 'osc_repl';
GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'osc_repl'@'%';
