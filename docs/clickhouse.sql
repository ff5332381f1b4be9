-- portolan flow lines in ClickHouse (docs/clickhouse.md).  One row per --flows line
-- (format portolan); the findings of a flow are an array column, so "which clusters
-- show X" is one arrayJoin.  `cluster` is given by the loader (the ticket or site).
CREATE TABLE IF NOT EXISTS portolan_flows
(
    cluster       LowCardinality(String),
    schema        LowCardinality(String),
    event_type    LowCardinality(String),
    id            UInt64,
    ts_start      DateTime64(6, 'UTC'),
    ts_end        DateTime64(6, 'UTC'),
    duration      Float64,
    community_id  String,
    transport     LowCardinality(String),
    client_ip     String,
    client_port   UInt16,
    server_ip     String,
    server_port   UInt16,
    state         LowCardinality(String),
    protocol      LowCardinality(String),
    product       LowCardinality(String),
    service       LowCardinality(String),
    findings      Array(LowCardinality(String)),
    packets_to_server UInt64,
    packets_to_client UInt64,
    bytes_to_server   UInt64,
    bytes_to_client   UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts_start)
ORDER BY (cluster, server_port, ts_start);
