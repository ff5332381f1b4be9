"""The cluster every scenario shares, the inventory writer and the sample description."""
import json

from ..capture import Capture, Host

NODE_TTL, WINDOWS_TTL, LAN_TTL, INTERNET_TTL = 64, 127, 63, 51


def cluster_hosts():
    """Three nodes on the capture's segment; admin, LAN client and internet host are routed."""
    return {
        "node1": Host("node1", "10.20.0.11"),
        "node2": Host("node2", "10.20.0.12"),
        "node3": Host("node3", "10.20.0.13"),
        "admin": Host("admin", "10.30.0.5", on_link=False, ttl=WINDOWS_TTL),
        "client": Host("client", "192.168.10.20", on_link=False, ttl=LAN_TTL),
        "internet": Host("internet", "203.0.113.7", on_link=False, ttl=INTERNET_TTL),
    }


NODES = "10.20.0.11-10.20.0.13"
ADMINS = "10.30.0.5"
CLIENTS = "192.168.10.0/24"


def inventory(title, product=None, extra=(), nodes=NODES):
    lines = ["# %s" % title,
             "# written by samples/generate; roles are declared so nothing is inferred"]
    if product:
        lines.append("product  %s" % product)
    lines += ["nodes    %s" % nodes, "admins   %s" % ADMINS, "clients  %s" % CLIENTS]
    lines += list(extra)
    return "\n".join(lines) + "\n"


class Sample:
    """What one scenario produces: file name -> bytes, and its README section."""

    def __init__(self, name, readme):
        self.name = name
        self.readme = readme.strip() + "\n"
        self.files = {}
        self.captures = {}

    def add_capture(self, cap):
        self.captures[cap.name] = cap
        self.files[cap.name + ".pcap"] = cap.pcap_bytes()

    def add_text(self, filename, text):
        self.files[filename] = text.encode()

    def add_expected(self, filename, findings):
        """findings: [kind, client, server, port] lists, sorted for a stable file."""
        rows = sorted(findings, key=lambda f: (f[0], f[3], f[1], f[2]))
        text = "[\n" + ",\n".join("  " + json.dumps(r) for r in rows) + "\n]\n"
        self.files[filename] = text.encode()


def new_capture(name, **kwargs):
    return Capture(name, **kwargs)
