"""Clear-text starts that switch to TLS: each protocol's own upgrade request and grant.
SMTP (RFC 3207), IMAP (RFC 9051 6.2.1), POP3 (RFC 2595), FTP (RFC 4217), LDAP StartTLS
(RFC 4511 4.14), XMPP (RFC 6120 5), PostgreSQL SSLRequest, MySQL SSLRequest, RDP X.224
with RDP_NEG_REQ/RSP ([MS-RDPBCGR] 2.2.1.1-2), HTTP CONNECT (RFC 9110 9.3.6).

Each builder returns (server_first, steps): the server's greeting (or None) and the
(client, server) exchanges up to and including the grant; TLS follows."""
import struct

STARTTLS_OID = b"1.3.6.1.4.1.1466.20037"


def smtp():
    return (b"220 mail.cluster.local ESMTP Postfix\r\n", [
        (b"EHLO node2.cluster.local\r\n",
         b"250-mail.cluster.local\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n"),
        (b"STARTTLS\r\n", b"220 2.0.0 Ready to start TLS\r\n"),
    ])


def imap():
    return (b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n", [
        (b"a001 CAPABILITY\r\n", b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n"
                                 b"a001 OK Pre-login capabilities listed.\r\n"),
        (b"a002 STARTTLS\r\n", b"a002 OK Begin TLS negotiation now.\r\n"),
    ])


def pop3():
    return (b"+OK Dovecot ready.\r\n", [
        (b"CAPA\r\n", b"+OK\r\nCAPA\r\nSTLS\r\nUSER\r\n.\r\n"),
        (b"STLS\r\n", b"+OK Begin TLS negotiation now.\r\n"),
    ])


def ftp():
    return (b"220 (vsFTPd 3.0.3)\r\n", [
        (b"FEAT\r\n", b"211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n"),
        (b"AUTH TLS\r\n", b"234 Proceed with negotiation.\r\n"),
    ])


def ber(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = (n.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + n.to_bytes(size, "big") + body


def ldap_message(message_id, op):
    return ber(0x30, ber(0x02, bytes([message_id])) + op)


def ldap():
    request = ldap_message(1, ber(0x77, ber(0x80, STARTTLS_OID)))
    response = ldap_message(1, ber(0x78, ber(0x0a, b"\x00") + ber(0x04, b"") + ber(0x04, b"")
                                   + ber(0x8a, STARTTLS_OID)))
    return (None, [(request, response)])


def xmpp():
    client_open = (b"<?xml version='1.0'?><stream:stream to='cluster.local' "
                   b"xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
                   b"version='1.0'>")
    server_open = (b"<?xml version='1.0'?><stream:stream from='cluster.local' id='c2s-17' "
                   b"xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
                   b"version='1.0'><stream:features><starttls "
                   b"xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
                   b"</stream:features>")
    return (None, [
        (client_open, server_open),
        (b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
         b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    ])


def postgresql():
    return (None, [(struct.pack(">II", 8, 80877103), b"S")])


def mysql_packet(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


CLIENT_SSL, CLIENT_PROTOCOL_41, CLIENT_SECURE_CONNECTION = 0x0800, 0x0200, 0x8000


def mysql_greeting():
    caps = CLIENT_SSL | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | 0x0001
    payload = (b"\x0a" + b"8.0.36\x00" + struct.pack("<I", 17) + b"abcdefgh" + b"\x00"
               + struct.pack("<H", caps) + b"\xff" + struct.pack("<H", 2)
               + struct.pack("<H", 0x00ff) + b"\x15" + b"\x00" * 10 + b"ijklmnopqrst\x00"
               + b"caching_sha2_password\x00")
    return mysql_packet(0, payload)


def mysql_ssl_request():
    caps = CLIENT_SSL | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | 0x000a0000
    return mysql_packet(1, struct.pack("<IIB", caps, 16 * 1024 * 1024, 0xff) + b"\x00" * 23)


def mysql():
    """The client's SSLRequest gets no answer: its TLS ClientHello follows at once."""
    return (mysql_greeting(), [(mysql_ssl_request(), None)])


def tpkt(x224):
    return struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224


def rdp():
    neg_req = struct.pack("<BBHI", 0x01, 0x00, 8, 0x3)        # PROTOCOL_SSL | PROTOCOL_HYBRID
    cookie = b"Cookie: mstshash=operator\r\n"
    body = b"\x00\x00\x00\x00\x00" + cookie + neg_req
    request = tpkt(bytes([len(body) + 1, 0xe0]) + body)
    neg_rsp = struct.pack("<BBHI", 0x02, 0x1f, 8, 0x2)        # PROTOCOL_HYBRID (CredSSP)
    body = b"\x00\x00\x12\x34\x00" + neg_rsp
    confirm = tpkt(bytes([len(body) + 1, 0xd0]) + body)
    return (None, [(request, confirm)])


def http_connect(target="repo.cluster.local:443"):
    return (None, [(
        b"CONNECT " + target.encode() + b" HTTP/1.1\r\nHost: " + target.encode()
        + b"\r\nUser-Agent: curl/7.88.1\r\n\r\n",
        b"HTTP/1.1 200 Connection established\r\n\r\n")])
