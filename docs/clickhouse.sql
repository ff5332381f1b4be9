-- portolan flow lines in ClickHouse (docs/clickhouse.md).  One row per --flows line
-- (format portolan); the findings of a flow are an array column, so "which clusters
-- show X" is one ARRAY JOIN.  `cluster` is set by the loader (the ticket or site).
-- Runs on Debian 12's ClickHouse 18.16 and on current releases (where the SET is an
-- accepted no-op); times are whole seconds here, microseconds stay in the flow line.
SET allow_experimental_low_cardinality_type = 1;

CREATE TABLE IF NOT EXISTS portolan_flows
(
    cluster       LowCardinality(String),
    schema        LowCardinality(String),
    event_type    LowCardinality(String),
    id            UInt64,
    ts_start      DateTime,
    ts_end        DateTime,
    duration      Float64,
    community_id  String,
    capture       String,
    transport     LowCardinality(String),
    client_ip     String,
    client_port   UInt16,
    server_ip     String,
    server_port   UInt16,
    state         LowCardinality(String),
    protocol      LowCardinality(String),
    product       LowCardinality(String),
    service       LowCardinality(String),
    findings      Array(String),              -- kinds; 18.16 mishandles an empty Array(LowCardinality)
    packets_to_server UInt64,
    packets_to_client UInt64,
    bytes_to_server   UInt64,
    bytes_to_client   UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts_start)
ORDER BY (cluster, server_port, ts_start);
