# One portolan flow line -> one row of portolan_flows (docs/clickhouse.sql), for
#   jq -c --arg cluster NAME -f docs/clickhouse-flow.jq
{
  cluster: $cluster, schema, event_type, id,
  ts_start: (.ts_start[0:19] | sub("T"; " ")),
  ts_end: (.ts_end[0:19] | sub("T"; " ")),
  duration, community_id,
  capture: ((.captures // []) | join(",")),
  transport,
  client_ip: .client.ip, client_port: .client.port,
  server_ip: .server.ip, server_port: .server.port,
  state,
  protocol: (.protocol // ""), product: (.product // ""), service: (.service // ""),
  findings: (.findings // []),
  packets_to_server: .packets.to_server, packets_to_client: .packets.to_client,
  bytes_to_server: .bytes.to_server, bytes_to_client: .bytes.to_client
}
