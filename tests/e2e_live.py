#!/usr/bin/env python3
"""End-to-end test of `portolan live` on a veth pair between two network
namespaces this test creates (and removes): every samples/*.pcap is replayed
into one end (bench/replay.c, pcap_inject) while `portolan live` captures on
the other; its flow counts and findings must equal `portolan analyze` on the
same file.  Also: -w saves packets that re-analyze identically, SIGHUP writes an
interim report, an interface taken down ends the run with status 2, and a clear-text
login on a connection that stays open is an --events finding within a second (a
small HTTP server and client across the pair, on addresses only they have).

Needs root and iproute2 (`ip netns`); otherwise it says why and exits 77
(skipped).  Traffic never leaves the two namespaces: they have no addresses and
no route, and the veth pair is their only link.

Environment: PORTOLAN (the binary), PTL_SOURCE_DIR, PTL_REPLAY (optional: a
built bench/replay; otherwise it is compiled here with cc)."""
import glob
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

import ptltest
from ptltest import in_netns as in_ns, sh

SKIP = 77
ROOT = os.environ.get("PTL_SOURCE_DIR",
                      os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PORTOLAN = os.environ.get("PORTOLAN", os.path.join(ROOT, "build", "analyzer", "portolan"))
NS_A, NS_B = "ptl-e2e-%d-a" % os.getpid(), "ptl-e2e-%d-b" % os.getpid()
IF_A, IF_B = "ptle%da" % (os.getpid() % 100000), "ptle%db" % (os.getpid() % 100000)
PPS = 20000          # slow enough for the ASan build to see every packet
RUN_LIMIT_S = 60     # --duration: a run that misses packets still ends


def skip(why):
    print("e2e_live: SKIPPED: %s" % why)
    sys.exit(SKIP)


def make_link():
    for ns in (NS_A, NS_B):
        ptltest.netns_add(ns)
    ptltest.veth_add(NS_A, IF_A, NS_B, IF_B)


def remove_link():
    for ns in (NS_A, NS_B):
        ptltest.netns_delete(ns)


def replayer(tmp):
    path = os.environ.get("PTL_REPLAY")
    if path:
        return path
    path = os.path.join(tmp, "replay")
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        skip("no C compiler to build bench/replay.c and PTL_REPLAY not set")
    sh(cc, "-O2", "-o", path, os.path.join(ROOT, "bench", "replay.c"), "-lpcap")
    return path


def count_packets(path):
    """Records in a classic pcap file (the samples are classic pcap)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    linktype = struct.unpack(order + "I", data[20:24])[0]
    n, off = 0, 24
    while off + 16 <= len(data):
        caplen = struct.unpack(order + "I", data[off + 8:off + 12])[0]
        off += 16 + caplen
        n += 1
    return n, linktype


def analyze(path, extra, out_json):
    r = subprocess.run([PORTOLAN, "analyze", "-q", "--no-progress", "--json", out_json] + extra +
                       [path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return r.returncode


def start_live(device, args, tmp, name):
    err = open(os.path.join(tmp, name + ".err"), "w+")
    proc = subprocess.Popen(in_ns(NS_B, PORTOLAN, "live", "-i", device, "-q", "--no-progress",
                                  "--stats-interval", "0") + args,
                            stdout=subprocess.DEVNULL, stderr=err, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        err.seek(0)
        if "capturing on" in err.read() or proc.poll() is not None:
            break
        time.sleep(0.05)
    return proc, err


def replay(replay_bin, path):
    sh(*in_ns(NS_A, replay_bin, "--pps", str(PPS), IF_A, path))


def finish(proc, err):
    try:
        status = proc.wait(timeout=RUN_LIMIT_S + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = proc.wait()
    err.seek(0)
    text = err.read()
    err.close()
    return status, text


def finding_keys(report):
    return sorted((f["kind"], f.get("client"), f.get("server"), f.get("port"), f.get("transport"))
                  for f in report.get("findings", []))


def summary(report):
    s = report["flows_summary"]
    return {k: s[k] for k in ("total", "tcp", "udp", "protocols", "states")}


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s" % name)
        else:
            self.failed += 1
            print("FAIL %s %s" % (name, detail))


def scenario(res, tmp, replay_bin, path):
    name = os.path.splitext(os.path.basename(path))[0]
    packets, linktype = count_packets(path)
    inventory = os.path.join(ROOT, "samples", name + ".inventory")
    extra = ["--inventory", inventory] if os.path.exists(inventory) else []
    # cooked captures are replayed as Ethernet and read back through `-i any` (SLL)
    device = "any" if linktype == 113 else IF_B
    live_json = os.path.join(tmp, name + ".live.json")
    events = os.path.join(tmp, name + ".events.jsonl")
    saved = os.path.join(tmp, name + ".saved.pcap")
    proc, err = start_live(device, ["-c", str(packets), "--duration", str(RUN_LIMIT_S),
                                    "--json", live_json, "--events", events, "-w", saved] + extra,
                           tmp, name)
    replay(replay_bin, path)
    live_status, live_err = finish(proc, err)
    an_json = os.path.join(tmp, name + ".analyze.json")
    an_status = analyze(path, extra, an_json)
    if not os.path.exists(live_json):
        res.check(name + ": live wrote its report", False, live_err.strip()[-400:])
        return
    live, ref = json.load(open(live_json)), json.load(open(an_json))
    res.check(name + ": every packet captured", live["capture"]["packets"] == packets,
              "%s of %d; %s" % (live["capture"]["packets"], packets, live_err.strip()[-300:]))
    res.check(name + ": flow counts equal analyze", summary(live) == summary(ref),
              "live %s analyze %s" % (summary(live), summary(ref)))
    res.check(name + ": findings equal analyze", finding_keys(live) == finding_keys(ref),
              "live %s analyze %s" % (finding_keys(live), finding_keys(ref)))
    res.check(name + ": exit status equals analyze", live_status == an_status,
              "live %d analyze %d" % (live_status, an_status))
    lines = [json.loads(line) for line in open(events)] if os.path.exists(events) else []
    lines = [e for e in lines if e.get("event") != "record"]  # records, not findings
    keys = sorted(set((e["kind"], e["client"], e["server"], e["port"], e["transport"])
                      for e in lines))
    res.check(name + ": each finding printed once as it occurred",
              len(keys) == len(lines) and keys == sorted(set(finding_keys(ref))),
              "events %s" % keys)
    resaved = os.path.join(tmp, name + ".resaved.json")
    analyze(saved, extra, resaved)
    res.check(name + ": -w file re-analyzes to the same flows",
              summary(json.load(open(resaved))) == summary(ref))


def cloud_mirror(res, tmp, replay_bin):
    """A cloud traffic mirror target: the Sisense sample arrives wrapped in VXLAN (as AWS
    and Azure deliver it) and live gives the findings analyze gives on the plain sample."""
    mirror_dir = os.path.join(tmp, "vxlan")
    os.makedirs(mirror_dir, exist_ok=True)
    wrapped = os.path.join(mirror_dir, "sisense.pcap")
    sh(sys.executable, os.path.join(ROOT, "samples", "gen", "wrap.py"), "vxlan",
       os.path.join(ROOT, "samples", "sisense.pcap"), wrapped)
    # a mirror target takes the 50 bytes VXLAN adds to a full-size frame
    for ns, dev in ((NS_A, IF_A), (NS_B, IF_B)):
        sh(*in_ns(ns, "ip", "link", "set", dev, "mtu", "1600"))
    scenario(res, mirror_dir, replay_bin, wrapped)
    for ns, dev in ((NS_A, IF_A), (NS_B, IF_B)):
        sh(*in_ns(ns, "ip", "link", "set", dev, "mtu", "1500"))
    plain = os.path.join(tmp, "plain.json")
    analyze(os.path.join(ROOT, "samples", "sisense.pcap"),
            ["--inventory", os.path.join(ROOT, "samples", "sisense.inventory")], plain)
    live = os.path.join(mirror_dir, "sisense.live.json")
    res.check("vxlan mirror: live findings equal the unwrapped sample's",
              os.path.exists(live) and
              finding_keys(json.load(open(live))) == finding_keys(json.load(open(plain))))


def interim_and_interface_down(res, tmp, replay_bin, path):
    report = os.path.join(tmp, "down.json")
    proc, err = start_live(IF_B, ["--json", report], tmp, "down")
    replay(replay_bin, path)
    time.sleep(1.5)
    proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while not os.path.exists(report) and time.monotonic() < deadline:
        time.sleep(0.1)
    res.check("SIGHUP writes an interim report and goes on",
              os.path.exists(report) and proc.poll() is None)
    sh(*in_ns(NS_B, "ip", "link", "set", IF_B, "down"))
    status, text = finish(proc, err)
    sh(*in_ns(NS_B, "ip", "link", "set", IF_B, "up"))
    res.check("interface down: exit 2 with a clear message",
              status == 2 and "went down" in text, "status %d: %s" % (status, text[-300:]))
    final = json.load(open(report)) if os.path.exists(report) else {}
    res.check("interface down: final report of what was seen",
              final.get("capture", {}).get("packets") == count_packets(path)[0])


# A server (address, port, reply in hex) that answers one request and keeps the
# connection open until stdin closes.
LONG_SERVER = r"""
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1)
print("listening", flush=True)
c, _ = s.accept(); c.recv(4096)
c.sendall(bytes.fromhex(sys.argv[3]))
sys.stdin.read(); c.close()
"""
# A client (address, port, request in hex) that says when the reply came, then holds
# the socket until stdin closes.
LONG_CLIENT = r"""
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
c.sendall(bytes.fromhex(sys.argv[3]))
c.recv(4096)
print("replied", flush=True)
sys.stdin.read(); c.close()
"""
HTTP_LOGIN = (b"GET /status HTTP/1.1\r\nHost: node1\r\n"
              b"Authorization: Basic b3BlcmF0b3I6aHVudGVyMg==\r\n\r\n")
HTTP_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def open_exchange(port, request, reply):
    """Server and client of one exchange that stays open: (server, client, replied)."""
    server = subprocess.Popen(in_ns(NS_A, sys.executable, "-c", LONG_SERVER, SERVER_IP,
                                    str(port), reply.hex()),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    server.stdout.readline()
    client = subprocess.Popen(in_ns(NS_B, sys.executable, "-c", LONG_CLIENT, SERVER_IP,
                                    str(port), request.hex()),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return server, client, client.stdout.readline().strip() == "replied"


def wait_event(events, match, deadline):
    while time.monotonic() < deadline:
        for line in open(events) if os.path.exists(events) else []:
            e = json.loads(line)
            if match(e):
                return e, time.monotonic()
        time.sleep(0.05)
    return None, None
SERVER_IP, CLIENT_IP = "10.254.77.1", "10.254.77.2"


def long_lived_login(res, tmp):
    """The finding event is written while the connection is still open, within a second."""
    events = os.path.join(tmp, "long.events.jsonl")
    sh(*in_ns(NS_A, "ip", "addr", "add", SERVER_IP + "/30", "dev", IF_A))
    sh(*in_ns(NS_B, "ip", "addr", "add", CLIENT_IP + "/30", "dev", IF_B))
    server = client = echo_server = echo_client = None
    plugins = os.path.join(os.environ.get("PTL_BUILD_DIR", ""), "plugins")
    has_example = os.path.exists(os.path.join(plugins, "libptl-example.so"))
    try:
        proc, err = start_live(IF_B, ["--events", events, "--duration", "30"] +
                               (["--plugin-dir", plugins] if has_example else []), tmp, "long")
        server, client, is_replied = open_exchange(8080, HTTP_LOGIN, HTTP_OK)
        replied_at = time.monotonic()
        found, seen_at = wait_event(events, lambda e: e.get("kind") == "cleartext-credentials"
                                    and e.get("port") == 8080, replied_at + 5)
        is_open = client.poll() is None and server.poll() is None
        res.check("long-lived login: the connection was up", is_replied)
        res.check("long-lived login: finding event written while the connection is open",
                  found is not None and is_open, "events: %s" % (
                      open(events).read()[-400:] if os.path.exists(events) else "none"))
        if found is not None:
            res.check("long-lived login: within a second of the login (%.2f s)"
                      % (seen_at - replied_at), seen_at - replied_at < 1.0)
            res.check("long-lived login: the event names the user, never the password",
                      "operator" in json.dumps(found) and "hunter2" not in json.dumps(found)
                      and "b3BlcmF0b3I6aHVudGVyMg" not in open(events).read(),
                      json.dumps(found))
            res.check("long-lived login: the event has kind, severity, message, flow id",
                      all(found.get(k) is not None
                          for k in ("kind", "severity", "message", "flow_id")), json.dumps(found))
        # the HTTP dissector's record of the login request, its connection still open
        http, _ = wait_event(events, lambda e: e.get("event") == "record"
                             and e.get("kind") == "http_request", time.monotonic() + 5)
        res.check("long-lived: the login's http_request record while its connection is open",
                  http is not None and http.get("status") == 200 and client.poll() is None
                  and "hunter2" not in json.dumps(http), json.dumps(http))
        if has_example:
            # a module's records reach --events as they complete, the connection still open
            echo_server, echo_client, _ = open_exchange(7777, b"ECHO hi\n", b"hi\n")
            record, _ = wait_event(events, lambda e: e.get("event") == "record"
                                   and e.get("kind") == "example_echo", time.monotonic() + 5)
            res.check("long-lived: a record event while its connection is open",
                      record is not None and record.get("kind") == "example_echo"
                      and record.get("text") == "hi" and record.get("flow_id") is not None
                      and echo_client.poll() is None, json.dumps(record))
        for p in (client, server, echo_client, echo_server):
            if p is not None:
                p.stdin.close()
                p.wait(timeout=10)
        proc.send_signal(signal.SIGINT)
        finish(proc, err)
        lines = [json.loads(line) for line in open(events)] if os.path.exists(events) else []
        res.check("long-lived login: reported once, not again at the flow's end",
                  sum(1 for e in lines if e.get("kind") == "cleartext-credentials"
                      and e.get("port") == 8080) == 1,
                  "%d events" % len(lines))
    finally:
        for p in (client, server, echo_client, echo_server):
            if p is not None and p.poll() is None:
                p.kill()
        sh(*in_ns(NS_A, "ip", "addr", "flush", "dev", IF_A), check=False)
        sh(*in_ns(NS_B, "ip", "addr", "flush", "dev", IF_B), check=False)


def main():
    why = ptltest.netns_unusable_reason()
    if why:
        skip(why)
    if not os.access(PORTOLAN, os.X_OK):
        skip("no portolan binary at %s" % PORTOLAN)
    samples = sorted(glob.glob(os.path.join(ROOT, "samples", "*.pcap")))
    if not samples:
        skip("no samples/*.pcap")
    res = Results()
    tmp = tempfile.mkdtemp(prefix="ptl-e2e-live-")
    try:
        try:
            make_link()
        except subprocess.CalledProcessError as e:
            skip("cannot create a veth pair in network namespaces: %s" % e.stderr.strip())
        replay_bin = replayer(tmp)
        for path in samples:
            if count_packets(path)[1] not in (1, 113):
                print("skip %s: link type cannot be replayed on Ethernet" % path)
                continue
            scenario(res, tmp, replay_bin, path)
        long_lived_login(res, tmp)
        cloud_mirror(res, tmp, replay_bin)
        interim_and_interface_down(res, tmp, replay_bin, samples[0])
    finally:
        remove_link()
        shutil.rmtree(tmp, ignore_errors=True)
    print("e2e_live: %d passed, %d failed" % (res.passed, res.failed))
    return 0 if res.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
