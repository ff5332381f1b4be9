"""TLS 1.3 handshake records (RFC 8446): a ClientHello with SNI and key share, a
ServerHello selecting TLS 1.3, the compatibility ChangeCipherSpec and opaque
application data records (what an observer sees of the encrypted rest)."""
import struct

CONTENT_CCS, CONTENT_HANDSHAKE, CONTENT_APPDATA = 20, 22, 23
HS_CLIENT_HELLO, HS_SERVER_HELLO = 1, 2
TLS_AES_128_GCM_SHA256 = 0x1301
X25519 = 0x001D


def record(content_type, payload, version=0x0303):
    return struct.pack("!BHH", content_type, version, len(payload)) + payload


def handshake(msg_type, body):
    return struct.pack("!B", msg_type) + len(body).to_bytes(3, "big") + body


def extension(ext_type, data):
    return struct.pack("!HH", ext_type, len(data)) + data


def vec16(data):
    return struct.pack("!H", len(data)) + data


def vec8(data):
    return struct.pack("!B", len(data)) + data


def server_name(host):
    name = host.encode()
    return extension(0, vec16(b"\x00" + vec16(name)))


def client_hello(sni, random, session_id, key_share, alpn=("h2", "http/1.1")):
    suites = struct.pack("!7H", 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030)
    protocols = b"".join(vec8(p.encode()) for p in alpn)
    extensions = b"".join([
        server_name(sni),
        extension(10, vec16(struct.pack("!HH", X25519, 0x0017))),       # supported_groups
        extension(11, vec8(b"\x00")),                                     # ec_point_formats
        extension(13, vec16(struct.pack("!5H", 0x0403, 0x0804, 0x0401, 0x0503, 0x0805))),
        extension(16, vec16(protocols)),                                  # ALPN
        extension(43, vec8(struct.pack("!HH", 0x0304, 0x0303))),          # supported_versions
        extension(45, vec8(b"\x01")),                                     # psk_ke_modes
        extension(51, vec16(struct.pack("!HH", X25519, 32) + key_share)),  # key_share
    ])
    body = (struct.pack("!H", 0x0303) + random + vec8(session_id) + vec16(suites)
            + vec8(b"\x00") + vec16(extensions))
    # the record layer says TLS 1.0 in a ClientHello for middlebox compatibility
    return record(CONTENT_HANDSHAKE, handshake(HS_CLIENT_HELLO, body), version=0x0301)


def server_hello(random, session_id, key_share):
    extensions = (extension(43, struct.pack("!H", 0x0304))
                  + extension(51, struct.pack("!HH", X25519, 32) + key_share))
    body = (struct.pack("!H", 0x0303) + random + vec8(session_id)
            + struct.pack("!HB", TLS_AES_128_GCM_SHA256, 0) + vec16(extensions))
    return record(CONTENT_HANDSHAKE, handshake(HS_SERVER_HELLO, body))


def change_cipher_spec():
    return record(CONTENT_CCS, b"\x01")


def application_data(ciphertext):
    return record(CONTENT_APPDATA, ciphertext)
