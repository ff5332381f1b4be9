"""TLS after a clear-text start: one flow per protocol, each on its standard port, up
to the protocol's own grant, then a TLS 1.3 handshake whose SNI names the protocol."""
from .. import sessions
from ..protocols import starttls
from .common import Sample, cluster_hosts, new_capture

README = """
### proto-starttls.pcap (protocol upgrades)

Each flow starts in clear text, is granted TLS by the server's own reply, then carries a
TLS 1.3 handshake whose SNI is `<protocol>.cluster.local` and one application-data round.

| port | start | switch point |
|---|---|---|
| tcp/25 | SMTP greeting, EHLO, `STARTTLS` | `220 2.0.0 Ready to start TLS` |
| tcp/143 | IMAP greeting, CAPABILITY, `a002 STARTTLS` | `a002 OK` |
| tcp/110 | POP3 greeting, CAPA, `STLS` | `+OK` |
| tcp/21 | FTP greeting, FEAT, `AUTH TLS` | `234` |
| tcp/389 | LDAP ExtendedRequest 1.3.6.1.4.1.1466.20037 | ExtendedResponse success |
| tcp/5222 | XMPP stream headers and features, `<starttls/>` | `<proceed/>` |
| tcp/5432 | PostgreSQL SSLRequest | `S` |
| tcp/3306 | MySQL HandshakeV10 (CLIENT_SSL), the client's SSLRequest | (the request itself) |
| tcp/3389 | RDP X.224 Connection Request (SSL, HYBRID) | Connection Confirm selecting HYBRID |
| tcp/3128 | HTTP `CONNECT repo.cluster.local:443` | `200 Connection established` |
"""

FLOWS = (("smtp", 25, starttls.smtp), ("imap", 143, starttls.imap),
         ("pop3", 110, starttls.pop3), ("ftp", 21, starttls.ftp), ("ldap", 389, starttls.ldap),
         ("xmpp", 5222, starttls.xmpp), ("postgresql", 5432, starttls.postgresql),
         ("mysql", 3306, starttls.mysql), ("rdp", 3389, starttls.rdp),
         ("http", 3128, starttls.http_connect))


def build():
    h = cluster_hosts()
    sample = Sample("starttls", README)
    cap = new_capture("proto-starttls")
    for name, port, start in FLOWS:
        sni = "repo.cluster.local" if name == "http" else name + ".cluster.local"
        sessions.starttls_session(cap, h["node2"], h["node1"], port, start(), sni)
    sample.add_capture(cap)
    return sample
