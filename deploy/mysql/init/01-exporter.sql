-- The account mysql-exporter scrapes with (auth_module client.exporter).
CREATE USER IF NOT EXISTS 'exporter'@'%' IDENTIFIED BY 'exporter-password' WITH MAX_USER_CONNECTIONS 3;
GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR, SELECT ON *.* TO 'exporter'@'%';
