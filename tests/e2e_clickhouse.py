"""ClickHouse at scale, end to end: starts a real clickhouse-server (Debian's package) on
free local ports in a temporary directory, creates docs/clickhouse.sql's table, loads every
sample's flow lines through the documented pipeline (portolan | jq -f
docs/clickhouse-flow.jq | clickhouse-client INSERT ... FORMAT JSONEachRow), runs the
queries of docs/clickhouse.md and compares their answers with portolan's own JSON report
and flow lines. Skipped (77) when clickhouse or jq is missing or the server cannot start."""
import collections
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ptltest

START_TIMEOUT_S = 60
CONFIG = """<yandex>
  <logger><level>warning</level><log>{d}/server.log</log><errorlog>{d}/error.log</errorlog>
          <console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>{tcp}</tcp_port>
  <http_port>{http}</http_port>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size>
  <users_config>{d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
</yandex>
"""
USERS = """<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
         <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, tmp):
        self.tcp, self.http = free_port(), free_port()
        (tmp / "config.xml").write_text(CONFIG.format(d=tmp, tcp=self.tcp, http=self.http))
        (tmp / "users.xml").write_text(USERS)
        binary = shutil.which("clickhouse-server")
        self.proc = subprocess.Popen([binary, f"--config-file={tmp}/config.xml"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     cwd=tmp)

    def client(self, *args, stdin=None):
        return subprocess.run(["clickhouse-client", "--port", str(self.tcp), *args],
                              input=stdin, capture_output=True, text=True, timeout=120)

    def wait(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.proc.poll() is None:
            if self.client("--query", "SELECT 1").returncode == 0:
                return True
            time.sleep(0.5)
        return False

    def query(self, sql):
        proc = self.client("--query", sql + " FORMAT TSV")
        if proc.returncode != 0:
            raise RuntimeError(f"{sql}: {proc.stderr.strip()}")
        return sorted(tuple(r.split("\t")) for r in proc.stdout.splitlines() if r)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def documented_queries():
    """the ```sql blocks of docs/clickhouse.md, "this week" widened to every sample"""
    text = (ptltest.source_dir() / "docs" / "clickhouse.md").read_text()
    blocks = re.findall(r"```sql\n(.*?)```", text, re.S)
    return [b.strip().rstrip(";").replace("now() - INTERVAL 7 DAY",
                                          "toDateTime('2000-01-01 00:00:00')") for b in blocks]


def load(server, tally, capture):
    inventory = capture.with_suffix(".inventory")
    args = ["analyze", "-q", "--no-progress", "--flows", "-", "--json",
            str(Path(tempfile.gettempdir()) / f"ptl-ch-{capture.stem}.json"), str(capture)]
    if inventory.exists():
        args += ["-I", str(inventory)]
    out = ptltest.run_portolan(args)
    report = json.loads(Path(args[6]).read_text())
    Path(args[6]).unlink()
    rows = subprocess.run(["jq", "-c", "--arg", "cluster", capture.stem, "-f",
                           str(ptltest.source_dir() / "docs" / "clickhouse-flow.jq")],
                          input=out, capture_output=True, text=True, timeout=60)
    tally.check(rows.returncode == 0, f"{capture.name}: jq flattening", rows.stderr)
    ins = server.client("--query", "INSERT INTO portolan_flows FORMAT JSONEachRow",
                        stdin=rows.stdout)
    tally.check(ins.returncode == 0, f"{capture.name}: INSERT ... FORMAT JSONEachRow",
                ins.stderr.strip())
    return [json.loads(l) for l in out.splitlines()], report


def main():
    for tool in ("clickhouse-server", "clickhouse-client", "jq"):
        if shutil.which(tool) is None:
            ptltest.die_skipped(f"{tool} is not installed (scripts/setup --asan installs it)")
    tally = ptltest.Tally()
    with tempfile.TemporaryDirectory() as tmp_name:
        server = Server(Path(tmp_name))
        try:
            if not server.wait():
                ptltest.die_skipped("clickhouse-server did not start within "
                                    f"{START_TIMEOUT_S} s (see its error.log)")
            schema = (ptltest.source_dir() / "docs" / "clickhouse.sql").read_text()
            made = server.client("--multiquery", stdin=schema)
            tally.check(made.returncode == 0, "docs/clickhouse.sql creates the table",
                        made.stderr.strip())
            lines, reports = {}, {}
            for capture in ptltest.sample_captures():
                lines[capture.stem], reports[capture.stem] = load(server, tally, capture)
            check_answers(server, tally, lines, reports)
        finally:
            server.stop()
    return tally.finish()


def check_answers(server, tally, lines, reports):
    totals = server.query("SELECT cluster, count() FROM portolan_flows GROUP BY cluster")
    tally.check(totals == sorted((c, str(r["flows_summary"]["total"]))
                                 for c, r in reports.items()),
                "flows per cluster = the JSON reports' flows_summary.total", str(totals))
    states = server.query("SELECT cluster, state, count() FROM portolan_flows "
                          "GROUP BY cluster, state")
    tally.check(states == sorted((c, s, str(n)) for c, r in reports.items()
                                 for s, n in r["flows_summary"]["states"].items() if n),
                "states per cluster = the JSON reports' flows_summary.states", str(states))
    lost, refused, kinds = [], collections.Counter(), collections.Counter()
    for cluster, flows in lines.items():
        on_2888 = [f for f in flows if f["server"]["port"] == 2888 and
                   f["state"] == "unanswered"]
        if on_2888:
            lost.append((cluster, str(len(on_2888)),
                         str(len({f["client"]["ip"] for f in on_2888}))))
        for f in flows:
            if f["state"] == "refused":
                refused[(f.get("product") or "", f.get("service") or "",
                         str(f["server"]["port"]))] += 1
            for k in f.get("findings") or []:
                kinds[(cluster, k)] += 1
    expected = [sorted(lost),
                sorted(k + (str(n),) for k, n in refused.items()),   # fewer than 10 each
                sorted(k + (str(n),) for k, n in kinds.items())]
    queries = documented_queries()
    tally.check(len(queries) == len(expected), "docs/clickhouse.md has the three queries")
    for sql, want in zip(queries, expected):
        got = server.query(sql)
        tally.check(got == want, f"documented query: {sql.splitlines()[0]}",
                    f"got {got[:5]}, want {want[:5]}")
    print(f"{sum(len(f) for f in lines.values())} flow lines of {len(lines)} samples loaded; "
          f"{sum(kinds.values())} findings, {sum(refused.values())} refused flows")


if __name__ == "__main__":
    sys.exit(main())
