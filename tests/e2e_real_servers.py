#!/usr/bin/env python3
"""End-to-end test against real servers from Debian packages.

It builds a small cluster of network namespaces on a bridge (three nodes n1-n3 and a declared
client c1), starts real servers in them as its own processes with its own configuration in a
temporary directory (never the system services):

    n1  ZooKeeper 1, RabbitMQ (AMQP 5672), nginx (80, and 4001/4181/5052/9999 for violations)
    n2  ZooKeeper 2, Samba smbd (445, share "share", user "daemon"), openssl s_server (443)
    n3  ZooKeeper 3, a python3-thrift server (binary protocol, framed, 9160)

captures on the bridge with tcpdump while real clients talk to them (python3-kazoo, python3-pika
with a PLAIN login, smbclient, a python3-thrift client, curl, openssl s_client with SNI) and while
a follower of the ZooKeeper ensemble rejoins (election on 3888, quorum on 2888). Then it runs
`portolan analyze --json --flows` with an inventory declaring the roles and the products Sisense
and ThoughtSpot, whose rules document these ports, and checks per flow the protocol and its main
facts, and that each planted violation gives exactly its finding and nothing else does:

    source-not-allowed     c1 (a client) opens a ZooKeeper session on n1:2181 (nodes only)
    direction-violation    n2 reaches nginx on n1:5052 (Sisense documents 5052 as outbound only)
    protocol-mismatch      n2 speaks HTTP to n1:4181 (ThoughtSpot documents ZooKeeper there)
    undocumented-port      n2 reaches nginx on n1:9999
    connection-refused     n2 connects to n3:8080 (ThoughtSpot tomcat), where nothing listens
    connection-unanswered  n3 connects to n1:4001, which nftables in n1 drops
    cleartext-credentials  the AMQP PLAIN login on 5672 and an HTTP Basic login on n1:80
No password sent by the clients may appear in any output.

Needs root, iproute2, tcpdump, nftables and the server packages (scripts/setup --asan installs
them); otherwise it says what is missing and exits 77 (skipped). Every wait is bounded; the
namespaces, processes and temporary files are removed in all cases. Run alone with
`meson test -C build e2e_real_servers --print-errorlogs`; PTL_KEEP_TMP=1 keeps the capture,
reports and server logs (their directory is printed).
"""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ptltest
from ptltest import in_netns, sh

TAG = "ptl-rs%d" % (os.getpid() % 100000)
SUBNET = "10.77.0."
HOSTS = {"n1": SUBNET + "11", "n2": SUBNET + "12", "n3": SUBNET + "13", "c1": SUBNET + "50"}
NODES = ("n1", "n2", "n3")
SWITCH = TAG + "-sw"
SYS_PYTHON = "/usr/bin/python3"   # the Debian interpreter that sees python3-pika etc.
ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar"
RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
START_TIMEOUT_S = 120     # JVMs and Erlang on a busy 2-core machine
CLIENT_TIMEOUT_S = 30
TLS_NAME = "n2.portolan.test"
SECRETS = {"amqp": "amqp-secret-5ac1", "http": "http-secret-93fe", "smb": "smb-secret-27bd"}
USERS = {"amqp": "portolan", "http": "support", "smb": "daemon"}

INVENTORY = """\
# e2e_real_servers: three nodes and one client on a bridge
product  sisense
product  thoughtspot
nodes    {n1}-{n3}
clients  {c1}
""".format(**HOSTS)

# (kind, client, server, port) of every finding the capture must give, and no other.
EXPECTED_FINDINGS = sorted([
    ("source-not-allowed", "c1", "n1", 2181),
    ("direction-violation", "n2", "n1", 5052),
    ("protocol-mismatch", "n2", "n1", 4181),
    ("undocumented-port", "n2", "n1", 9999),
    ("connection-refused", "n2", "n3", 8080),
    ("connection-unanswered", "n3", "n1", 4001),
    ("cleartext-credentials", "n2", "n1", 5672),
    ("cleartext-credentials", "n3", "n1", 80),
])
NGINX_PORTS = (80, 4001, 4181, 5052, 9999)
PROXY_VARS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")

NEEDED_PROGRAMS = ("ip", "tcpdump", "nft", "java", "smbd", "smbclient", "smbpasswd", "nginx",
                   "openssl", "curl", "ss")


def ns_of(host):
    return "%s-%s" % (TAG, host)


class LabError(Exception):
    """A server or client of the lab did not do its part (not a portolan failure)."""


class Lab:
    """The namespaces, the processes started in them and their temporary directory."""

    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.namespaces = []
        self.procs = {}

    def build_network(self):
        ptltest.netns_add(SWITCH)
        self.namespaces.append(SWITCH)
        sh(*in_netns(SWITCH, "ip", "link", "add", "br0", "type", "bridge"))
        for host, addr in HOSTS.items():
            ns = ns_of(host)
            ptltest.netns_add(ns)
            self.namespaces.append(ns)
            ptltest.veth_add(ns, "eth0", SWITCH, "p-" + host)
            sh(*in_netns(SWITCH, "ip", "link", "set", "p-" + host, "master", "br0"))
            sh(*in_netns(ns, "ip", "addr", "add", addr + "/24", "dev", "eth0"))
        sh(*in_netns(SWITCH, "ip", "link", "set", "br0", "up"))

    def start(self, name, host, argv, env=None):
        """Start argv in host's namespace, output to <name>.log; its own process group."""
        log = open(self.tmp / (name + ".log"), "w")
        full_env = dict(os.environ, **(env or {}))
        for var in PROXY_VARS:      # curl and pika talk to the lab, never through a proxy
            full_env.pop(var, None)
        proc = subprocess.Popen(in_netns(ns_of(host), *argv), stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, env=full_env,
                                start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def log_tail(self, name, chars=600):
        path = self.tmp / (name + ".log")
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self, name, timeout_s=10):
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout_s)

    def wait_until(self, what, names, probe, timeout_s=START_TIMEOUT_S):
        """Poll probe() until true; fail early, with the log, when a server in names died."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if probe():
                return
            for name in names:
                proc = self.procs.get(name)
                if proc is not None and proc.poll() is not None:
                    raise LabError("%s exited %d while waiting for %s: %s"
                                   % (name, proc.returncode, what, self.log_tail(name)))
            time.sleep(0.25)
        raise LabError("timed out after %ds waiting for %s: %s"
                       % (timeout_s, what, " | ".join(self.log_tail(n, 300) for n in names)))

    def listening(self, host, port):
        out = sh(*in_netns(ns_of(host), "ss", "-Hltn", "sport = :%d" % port), check=False)
        return bool(out.stdout.strip())

    def wait_listening(self, name, host, port):
        self.wait_until("%s on %s:%d" % (name, host, port), [name],
                        lambda: self.listening(host, port))

    def run(self, host, argv, timeout_s=CLIENT_TIMEOUT_S, check=True, stdin_text=None):
        """A client in host's namespace; LabError with its output when it fails and check."""
        env_argv = ["env"] + [arg for var in PROXY_VARS for arg in ("-u", var)]
        try:
            proc = sh(*in_netns(ns_of(host), *env_argv, *argv), check=False, timeout=timeout_s,
                      stdin_text=stdin_text)
        except subprocess.TimeoutExpired:
            raise LabError("%s: no result within %ds" % (" ".join(argv), timeout_s))
        if check and proc.returncode != 0:
            raise LabError("%s on %s exited %d: %s" % (" ".join(argv), host, proc.returncode,
                                                       (proc.stdout + proc.stderr)[-600:]))
        return proc

    def script(self, name, text):
        path = self.tmp / name
        path.write_text(text)
        return str(path)

    def teardown(self):
        for name in list(self.procs):
            try:
                self.stop(name, timeout_s=5)
            except (OSError, subprocess.SubprocessError):
                pass
        while self.namespaces:
            ptltest.netns_delete(self.namespaces.pop())


# --- servers ---------------------------------------------------------------------------------

def start_zookeeper(lab, sid):
    host = NODES[sid - 1]
    data = lab.tmp / ("zk%d" % sid)
    data.mkdir(exist_ok=True)
    (data / "myid").write_text("%d\n" % sid)
    servers = "".join("server.%d=%s:2888:3888\n" % (i + 1, HOSTS[n]) for i, n in enumerate(NODES))
    cfg = data / "zoo.cfg"
    cfg.write_text("tickTime=500\ninitLimit=40\nsyncLimit=10\ndataDir=%s\nclientPort=2181\n"
                   "admin.enableServer=false\n4lw.commands.whitelist=srvr\n%s" % (data, servers))
    argv = ["java", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Dzookeeper.root.logger=WARN,CONSOLE", "-Dzookeeper.jmx.log4j.disable=true",
            "-cp", "/etc/zookeeper/conf:" + ZOOKEEPER_JAR,
            "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(cfg)]
    lab.start("zookeeper%d" % sid, host, argv)


def zookeeper_mode(lab, sid):
    """'leader', 'follower' or None, asked over the node's own loopback (never on the wire)."""
    probe = ("import socket\ns = socket.create_connection(('127.0.0.1', 2181), 2)\n"
             "s.sendall(b'srvr')\ns.settimeout(2)\nout = b''\nwhile True:\n"
             "    b = s.recv(4096)\n    if not b: break\n    out += b\nprint(out.decode())\n")
    proc = lab.run(NODES[sid - 1], [SYS_PYTHON, "-c", probe], timeout_s=10, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("Mode: "):
            return line.split()[1]
    return None


def start_rabbitmq(lab):
    base = lab.tmp / "rabbitmq"
    base.mkdir()
    (base / "rabbitmq.conf").write_text(
        "listeners.tcp.default = 5672\nloopback_users = none\ndefault_user = %s\n"
        "default_pass = %s\nlog.console = true\nlog.console.level = warning\n"
        "log.file = false\n" % (USERS["amqp"], SECRETS["amqp"]))
    (base / "enabled_plugins").write_text("[].\n")
    (base / "rabbitmq-env.conf").write_text("")
    env = {"HOME": str(base), "RABBITMQ_NODENAME": "rabbit@localhost",
           "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
           "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
           "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
           "RABBITMQ_MNESIA_BASE": str(base / "mnesia"), "RABBITMQ_LOG_BASE": str(base / "log"),
           "RABBITMQ_PID_FILE": str(base / "rabbit.pid")}
    lab.start("rabbitmq", "n1", [RABBITMQ_SERVER], env=env)


def start_samba(lab):
    base = lab.tmp / "samba"
    for sub in ("private", "lock", "state", "cache", "run", "share"):
        (base / sub).mkdir(parents=True)
    (base / "share" / "readme.txt").write_text("portolan e2e\n")
    conf = base / "smb.conf"
    conf.write_text("""[global]
workgroup = PORTOLAN
netbios name = N2
server role = standalone server
smb ports = 445
disable netbios = yes
interfaces = {addr}/24
bind interfaces only = yes
private dir = {b}/private
lock directory = {b}/lock
state directory = {b}/state
cache directory = {b}/cache
pid directory = {b}/run
ncalrpc dir = {b}/run/ncalrpc
log file = {b}/smbd.log
passdb backend = tdbsam:{b}/private/passdb.tdb
load printers = no
printcap name = /dev/null
disable spoolss = yes
server min protocol = SMB2_10
map to guest = never
[share]
path = {b}/share
read only = no
force user = root
""".format(addr=HOSTS["n2"], b=base))
    secret = SECRETS["smb"]
    lab.run("n2", ["smbpasswd", "-c", str(conf), "-a", "-s", USERS["smb"]],
            stdin_text="%s\n%s\n" % (secret, secret))
    lab.start("smbd", "n2", ["smbd", "--foreground", "--no-process-group", "--debug-stdout",
                             "-d", "0", "-s", str(conf)])
    return conf


def start_nginx(lab):
    base = lab.tmp / "nginx"
    base.mkdir()
    listens = "".join("listen %s:%d;\n" % (HOSTS["n1"], p) for p in NGINX_PORTS)
    (base / "nginx.conf").write_text("""daemon off;
worker_processes 1;
pid {b}/nginx.pid;
error_log {b}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {b}/body; proxy_temp_path {b}/proxy; fastcgi_temp_path {b}/fcgi;
    uwsgi_temp_path {b}/uwsgi; scgi_temp_path {b}/scgi;
    default_type text/plain;
    server {{
        {listens}
        location / {{ return 200 "portolan e2e\\n"; }}
    }}
}}
""".format(b=base, listens=listens))
    lab.start("nginx", "n1", ["nginx", "-e", str(base / "error.log"), "-p", str(base), "-c",
                              str(base / "nginx.conf")])


def start_tls(lab):
    key, cert = lab.tmp / "tls.key", lab.tmp / "tls.crt"
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj",
       "/CN=" + TLS_NAME)
    lab.start("s_server", "n2", ["openssl", "s_server", "-accept", HOSTS["n2"] + ":443",
                                 "-cert", str(cert), "-key", str(key), "-www", "-quiet"])


THRIFT_SERVER = """\
import sys
from thrift.Thrift import TMessageType, TType
from thrift.protocol import TBinaryProtocol
from thrift.server import TServer
from thrift.transport import TSocket, TTransport

class Processor:
    # Any call gets a reply whose field 0 (success) is a string: no IDL needed.
    def process(self, iprot, oprot):
        name, _, seqid = iprot.readMessageBegin()
        iprot.skip(TType.STRUCT)
        iprot.readMessageEnd()
        oprot.writeMessageBegin(name, TMessageType.REPLY, seqid)
        oprot.writeStructBegin(name + "_result")
        oprot.writeFieldBegin("success", TType.STRING, 0)
        oprot.writeString("portolan-" + name)
        oprot.writeFieldEnd()
        oprot.writeFieldStop()
        oprot.writeStructEnd()
        oprot.writeMessageEnd()
        oprot.trans.flush()

TServer.TSimpleServer(Processor(), TSocket.TServerSocket(sys.argv[1], int(sys.argv[2])),
                      TTransport.TFramedTransportFactory(),
                      TBinaryProtocol.TBinaryProtocolFactory()).serve()
"""


def start_thrift(lab):
    lab.start("thrift", "n3", [SYS_PYTHON, lab.script("thrift_server.py", THRIFT_SERVER),
                               HOSTS["n3"], "9160"])


# --- clients ---------------------------------------------------------------------------------

ZOOKEEPER_CLIENT = """\
import sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1], timeout=10)
zk.start(timeout=20)
if sys.argv[2] == "work":
    zk.ensure_path("/portolan")
    zk.create("/portolan/flow", b"one")
    zk.set("/portolan/flow", b"two")
    assert zk.get("/portolan/flow")[0] == b"two"
    assert "flow" in zk.get_children("/portolan")
    zk.delete("/portolan/flow")
else:
    zk.exists("/portolan")
zk.stop()
zk.close()
"""

AMQP_CLIENT = """\
import sys
import pika
params = pika.ConnectionParameters(sys.argv[1], 5672, "/",
                                   pika.PlainCredentials(sys.argv[2], sys.argv[3]),
                                   heartbeat=0, connection_attempts=1, socket_timeout=10)
conn = pika.BlockingConnection(params)
ch = conn.channel()
ch.queue_declare("portolan.e2e")
ch.basic_publish(exchange="", routing_key="portolan.e2e", body=b"hello")
body = None
for _ in range(50):
    _, _, body = ch.basic_get("portolan.e2e", auto_ack=True)
    if body is not None:
        break
assert body == b"hello", body
conn.close()
"""

THRIFT_CLIENT = """\
import sys
from thrift.Thrift import TMessageType, TType
from thrift.protocol import TBinaryProtocol
from thrift.transport import TSocket, TTransport
trans = TTransport.TFramedTransport(TSocket.TSocket(sys.argv[1], int(sys.argv[2])))
prot = TBinaryProtocol.TBinaryProtocol(trans)
trans.open()
for seqid, name in enumerate(sys.argv[3:], 1):
    prot.writeMessageBegin(name, TMessageType.CALL, seqid)
    prot.writeStructBegin(name + "_args")
    prot.writeFieldStop()
    prot.writeStructEnd()
    prot.writeMessageEnd()
    trans.flush()
    rname, rtype, rseq = prot.readMessageBegin()
    prot.skip(TType.STRUCT)
    prot.readMessageEnd()
    assert (rname, rtype, rseq) == (name, TMessageType.REPLY, seqid), (rname, rtype, rseq)
trans.close()
"""
THRIFT_METHODS = ("describe_cluster_name", "describe_version")


def curl(lab, host, url, *extra, check=True):
    return lab.run(host, ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                          "--max-time", "10", *extra, url], check=check)


def drop_port(lab, host, port):
    """nftables in host's namespace drops SYNs to port: connections get no answer."""
    lab.run(host, ["nft", "-f", "-"], stdin_text=(
        "table inet ptl_e2e {\n chain input {\n  type filter hook input priority 0;"
        " policy accept;\n  tcp dport %d drop\n }\n}\n" % port))


def run_clients(lab):
    zk_client = lab.script("zk_client.py", ZOOKEEPER_CLIENT)
    lab.run("n2", [SYS_PYTHON, zk_client, HOSTS["n1"] + ":2181", "work"])
    lab.run("c1", [SYS_PYTHON, zk_client, HOSTS["n1"] + ":2181", "look"])
    lab.run("n2", [SYS_PYTHON, lab.script("amqp_client.py", AMQP_CLIENT), HOSTS["n1"],
                   USERS["amqp"], SECRETS["amqp"]])
    lab.run("n3", ["smbclient", "//%s/share" % HOSTS["n2"], "-p", "445", "-m", "SMB3",
                   "-W", "PORTOLAN", "-U", "%s%%%s" % (USERS["smb"], SECRETS["smb"]),
                   "-c", "ls; get readme.txt /dev/null"])
    lab.run("n2", [SYS_PYTHON, lab.script("thrift_client.py", THRIFT_CLIENT), HOSTS["n3"],
                   "9160", *THRIFT_METHODS])
    for args in ((), ("-u", "%s:%s" % (USERS["http"], SECRETS["http"]))):
        status = curl(lab, "n3", "http://%s/" % HOSTS["n1"], *args).stdout
        if status != "200":
            raise LabError("nginx answered %s" % status)
    tls = lab.run("n3", ["openssl", "s_client", "-connect", HOSTS["n2"] + ":443",
                         "-servername", TLS_NAME, "-quiet", "-verify_quiet"],
                  stdin_text="GET / HTTP/1.0\r\n\r\n")
    if "HTTP/1.0 200" not in tls.stdout:
        raise LabError("s_server -www did not answer: %s" % tls.stdout[-300:])
    # planted violations
    for port in (5052, 4181, 9999):
        curl(lab, "n2", "http://%s:%d/" % (HOSTS["n1"], port))
    refused = curl(lab, "n2", "http://%s:8080/" % HOSTS["n3"], check=False)
    if refused.returncode != 7:      # curl: failed to connect
        raise LabError("n3:8080 was not refused: curl exited %d" % refused.returncode)
    unanswered = lab.run("n3", ["curl", "-sS", "--connect-timeout", "2.5",
                                "http://%s:4001/" % HOSTS["n1"]], check=False)
    if unanswered.returncode != 28:  # curl: timeout
        raise LabError("n1:4001 answered: curl exited %d" % unanswered.returncode)


# --- the scenario ----------------------------------------------------------------------------

def start_servers(lab):
    for sid in (1, 2, 3):
        start_zookeeper(lab, sid)
    start_rabbitmq(lab)
    start_samba(lab)
    start_nginx(lab)
    start_tls(lab)
    start_thrift(lab)
    for name, host, port in (("nginx", "n1", 80), ("s_server", "n2", 443), ("smbd", "n2", 445),
                             ("thrift", "n3", 9160), ("rabbitmq", "n1", 5672)):
        lab.wait_listening(name, host, port)
    zk_names = ["zookeeper%d" % sid for sid in (1, 2, 3)]
    lab.wait_until("a ZooKeeper leader and two followers", zk_names, lambda: sorted(
        zookeeper_mode(lab, sid) for sid in (1, 2, 3)) == ["follower", "follower", "leader"])


def established_now(lab):
    """BPF terms for the TCP connections open now between the nodes (the ensemble's survivors):
    left out of the capture, so that it holds only connections it saw open."""
    terms = set()
    for host in NODES:
        out = sh(*in_netns(ns_of(host), "ss", "-Htn", "state", "established")).stdout
        for line in out.splitlines():
            local, peer = line.split()[-2:]
            if local.startswith("127.") or peer.startswith("127."):
                continue
            ends = sorted((local.rsplit(":", 1), peer.rsplit(":", 1)))
            terms.add("(host %s and tcp port %s and host %s and tcp port %s)"
                      % (*ends[0], *ends[1]))
    return sorted(terms)


def capture(lab, pcap):
    """The session on the wire: a stopped follower rejoins, then every client runs."""
    follower = next(sid for sid in (1, 2, 3) if zookeeper_mode(lab, sid) == "follower")
    name = "zookeeper%d" % follower
    lab.stop(name)
    lab.wait_until("the stopped follower's ports to close", [],
                   lambda: not lab.listening(NODES[follower - 1], 3888))
    drop_port(lab, "n1", 4001)
    bpf = "ip" + "".join(" and not " + term for term in established_now(lab))
    lab.start("tcpdump", "sw", ["tcpdump", "-i", "br0", "-n", "-s", "0", "-U", "-w", str(pcap),
                                bpf])
    lab.wait_until("tcpdump to listen", ["tcpdump"],
                   lambda: "listening on" in lab.log_tail("tcpdump"), timeout_s=20)
    start_zookeeper(lab, follower)
    lab.wait_until("%s to rejoin as a follower" % name, [name],
                   lambda: zookeeper_mode(lab, follower) == "follower")
    run_clients(lab)
    time.sleep(1.0)           # the last FINs and ACKs
    lab.stop("tcpdump")
    return follower


def ns_host(addr):
    return next((h for h, a in HOSTS.items() if a == addr), addr)


def analyze(lab, pcap):
    inventory = lab.tmp / "lab.inventory"
    inventory.write_text(INVENTORY)
    report, flows = lab.tmp / "report.json", lab.tmp / "flows.jsonl"
    text = ptltest.run_portolan(["analyze", "-q", "--no-progress", "--inventory", str(inventory),
                                 "--json", str(report), "--flows", str(flows), str(pcap)])
    terminal = ptltest.run_portolan(["analyze", "--no-progress", "--inventory", str(inventory),
                                     str(pcap)])
    return (json.loads(report.read_text()),
            [json.loads(line) for line in flows.read_text().splitlines() if line.strip()],
            report.read_text() + flows.read_text() + text + terminal)


def flows_to(flows, server, port):
    return [f for f in flows if f["server"]["ip"] == HOSTS[server] and f["server"]["port"] == port]


def check_flow(tally, flows, what, client, server, port, protocol, service, facts):
    """At least one flow client -> server:port of protocol and service, whose app object passes
    every (name, predicate) in facts."""
    cands = [f for f in flows_to(flows, server, port)
             if f["client"]["ip"] == HOSTS[client] and f.get("protocol") == protocol]
    if not tally.check(bool(cands), "%s: %s flow %s -> %s:%d" % (what, protocol, client, server,
                                                                  port),
                       "seen: %s" % sorted({(ns_host(f["client"]["ip"]), f.get("protocol"))
                                            for f in flows_to(flows, server, port)})):
        return
    for flow in cands:
        app = ptltest.app(flow, protocol)
        if all(pred(app) for _, pred in facts) and flow.get("service") in service:
            tally.check(True, what)
            return
    app = ptltest.app(cands[0], protocol)
    tally.check(cands[0].get("service") in service, "%s: service" % what,
                "%s, expected one of %s" % (cands[0].get("service"), service))
    for name, pred in facts:
        tally.check(pred(app), "%s: %s" % (what, name), json.dumps(app)[:700])


def has(key, *values):
    return lambda app: all(v in (app.get(key) or ()) for v in values)


def equals(key, value):
    return lambda app: app.get(key) == value


def check_flows(tally, flows, follower):
    check_flow(tally, flows, "ZooKeeper client", "n2", "n1", 2181, "zookeeper",
               ("discovery-zookeeper-client", "zookeeper-client-2181"),
               [("kind client", equals("kind", "client")),
                ("opcodes", has("opcodes", "create", "setData", "getData", "getChildren",
                                "delete")),
                ("paths", has("paths", "/portolan/flow"))])
    rejoined = NODES[follower - 1]
    others = [n for n in NODES if n != rejoined]
    for other in others:
        # either side may open the election connection: ZooKeeper keeps the one from the
        # higher server id
        both = [f for f in flows if f["server"]["port"] == 3888
                and {ns_host(f["client"]["ip"]), ns_host(f["server"]["ip"])} == {rejoined, other}
                and f.get("protocol") == "zookeeper"
                and ptltest.app(f, "zookeeper").get("kind") == "election"
                and f.get("service") in ("discovery-zookeeper-election", "zookeeper-quorum-3888")]
        tally.check(bool(both), "ZooKeeper election %s <-> %s on 3888" % (rejoined, other),
                    json.dumps([(f["client"], f["server"], f.get("protocol")) for f in flows
                                if f["server"]["port"] == 3888]))
    quorum = [f for f in flows if f["server"]["port"] == 2888
              and f["client"]["ip"] == HOSTS[rejoined] and f.get("protocol") == "zookeeper"
              and ptltest.app(f, "zookeeper").get("kind") == "quorum"
              and f.get("service") in ("discovery-zookeeper-quorum", "zookeeper-quorum-2888")
              and "FOLLOWERINFO" in ptltest.app(f, "zookeeper").get("quorum_packets", {})]
    tally.check(bool(quorum), "ZooKeeper quorum %s -> leader on 2888 (FOLLOWERINFO)" % rejoined,
                json.dumps([ptltest.app(f, "zookeeper") for f in flows
                            if f["server"]["port"] == 2888])[:700])
    check_flow(tally, flows, "AMQP PLAIN login", "n2", "n1", 5672, "amqp", ("broker-amqp",),
               [("mechanism PLAIN", equals("mechanism", "PLAIN")),
                ("user", equals("user", USERS["amqp"])),
                ("server RabbitMQ", equals("server_product", "RabbitMQ")),
                ("methods", has("methods", "Connection.StartOk", "Queue.Declare",
                                "Basic.Publish", "Basic.Get"))])
    check_flow(tally, flows, "SMB session", "n3", "n2", 445, "smb", ("orchestrator-smb",),
               [("dialect 3.1.1", equals("dialect", "3.1.1")),
                ("share", lambda a: any(share.lower().endswith("\\share")
                                        for share in a.get("shares", ()))),
                ("user", lambda a: any(u.split("\\")[-1] == USERS["smb"]
                                       for u in a.get("users", ()))),
                ("commands", has("commands", "NEGOTIATE", "SESSION_SETUP", "TREE_CONNECT",
                                 "CREATE", "READ"))])
    check_flow(tally, flows, "Thrift calls", "n2", "n3", 9160, "thrift", ("cassandra-thrift",),
               [("binary", equals("protocol", "binary")), ("framed", equals("framed", True)),
                ("methods", has("methods", *THRIFT_METHODS))])
    check_flow(tally, flows, "HTTP GET", "n3", "n1", 80, "http", ("nginx",),
               [("GET", has("methods", "GET")), ("200", has("status_codes", "200"))])
    check_flow(tally, flows, "HTTP Basic", "n3", "n1", 80, "http", ("nginx",),
               [("scheme", has("auth_schemes", "Basic"))])
    check_flow(tally, flows, "TLS with SNI", "n3", "n2", 443, "tls", ("secure-nginx",),
               [("sni", equals("sni", TLS_NAME)), ("version", equals("version", "TLS 1.3"))])
    check_flow(tally, flows, "HTTP on ZooKeeper's 4181", "n2", "n1", 4181, "http",
               ("zookeeper-client-4181", "zookeeper-quorum-4181"), [("GET", has("methods", "GET"))])


def check_findings(tally, report, flows):
    got = sorted((f["kind"], ns_host(f.get("client")), ns_host(f.get("server")), f.get("port"))
                 for f in report.get("findings", []))
    for finding in EXPECTED_FINDINGS:
        tally.check(finding in got, "finding %s %s -> %s:%d" % finding)
    extra = [f for f in got if f not in EXPECTED_FINDINGS]
    tally.check(not extra, "no other finding", str(extra))
    # each flow line carries the same judgement as the report
    per_flow = sorted({(kind, ns_host(f["client"]["ip"]), ns_host(f["server"]["ip"]),
                        f["server"]["port"]) for f in flows for kind in f.get("findings") or ()})
    tally.check(per_flow == EXPECTED_FINDINGS, "flow lines name the same findings",
                str(per_flow))
    amqp = next((f for f in report.get("findings", []) if f["kind"] == "cleartext-credentials"
                 and f.get("port") == 5672), {})
    tally.check(amqp.get("service") == "broker-amqp", "cleartext AMQP tagged broker-amqp",
                str(amqp.get("service")))
    tally.check(not report.get("roles", {}).get("inferred"), "roles declared, none inferred",
                json.dumps(report.get("roles")))


def check_no_secret(tally, outputs):
    for proto, secret in SECRETS.items():
        forms = {secret, base64.b64encode(secret.encode()).decode(), secret.encode().hex(),
                 base64.b64encode(("%s:%s" % (USERS[proto], secret)).encode()).decode()}
        leaked = [f for f in forms if f in outputs]
        tally.check(not leaked, "%s password never in any output" % proto, str(leaked))


def missing_prerequisite():
    why = ptltest.netns_unusable_reason()
    if why:
        return why
    missing = [p for p in NEEDED_PROGRAMS if shutil.which(p) is None]
    for path in (SYS_PYTHON, ZOOKEEPER_JAR, RABBITMQ_SERVER):
        if not os.path.exists(path):
            missing.append(path)
    if not missing:
        probe = sh(SYS_PYTHON, "-c", "import kazoo, pika, thrift", check=False)
        if probe.returncode != 0:
            missing.append("python3-kazoo/python3-pika/python3-thrift")
    if missing:
        return "missing %s (scripts/setup --asan installs them)" % ", ".join(missing)
    return None


def main():
    # meson's timeout sends SIGTERM: unwind through the finally blocks that tear the lab down
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("e2e_real_servers: terminated"))
    why = missing_prerequisite()
    if why:
        ptltest.die_skipped("e2e_real_servers: " + why)
    ptltest.portolan_binary()
    tally = ptltest.Tally()
    tmp = tempfile.mkdtemp(prefix="ptl-e2e-real-")
    os.chmod(tmp, 0o755)
    lab = Lab(tmp)
    started = time.monotonic()
    try:
        try:
            lab.build_network()
        except subprocess.CalledProcessError as e:
            ptltest.die_skipped("e2e_real_servers: cannot build namespaces on a bridge: %s"
                                % e.stderr.strip())
        pcap = Path(tmp) / "real-servers.pcap"
        try:
            start_servers(lab)
            print("servers up after %.1f s" % (time.monotonic() - started))
            follower = capture(lab, pcap)
        except (LabError, subprocess.CalledProcessError) as e:
            detail = e.stderr if isinstance(e, subprocess.CalledProcessError) else e
            tally.check(False, "the lab ran", str(detail))
            return tally.finish()
        finally:
            lab.teardown()
        print("capture done after %.1f s" % (time.monotonic() - started))
        report, flows, outputs = analyze(lab, pcap)
        check_flows(tally, flows, follower)
        check_findings(tally, report, flows)
        check_no_secret(tally, outputs)
        print("total %.1f s" % (time.monotonic() - started))
    finally:
        lab.teardown()
        if os.environ.get("PTL_KEEP_TMP"):
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
