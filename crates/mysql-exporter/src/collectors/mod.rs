//! One file per mysqld_exporter scraper, named after upstream's.

pub mod global_status;
pub mod global_variables;
pub mod info_schema_innodb_cmp;
pub mod info_schema_innodb_cmpmem;
pub mod info_schema_query_response_time;
pub mod slave_status;
