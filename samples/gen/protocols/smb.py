"""SMB2 over direct TCP (MS-SMB2 2.1, 2.2), SPNEGO (RFC 4178) carrying NTLMSSP
(MS-NLMP 2.2.1), and NetBIOS name service datagrams (RFC 1002 4.2)."""
import struct

NEGOTIATE, SESSION_SETUP, LOGOFF, TREE_CONNECT, TREE_DISCONNECT = 0, 1, 2, 3, 4
CREATE, CLOSE, READ = 5, 6, 8
FLAGS_RESPONSE = 0x00000001
STATUS_SUCCESS = 0
STATUS_MORE_PROCESSING_REQUIRED = 0xC0000016
HEADER_SIZE = 64
DIALECTS = (0x0202, 0x0210, 0x0300, 0x0302)
DIALECT_SMB302 = 0x0302
CAP_DFS_LEASING_LARGEMTU = 0x00000007
FILETIME_2024_05_01 = 133589664000000000   # 2024-05-01T10:00:00Z in 100 ns since 1601

OID_SPNEGO = b"\x06\x06\x2b\x06\x01\x05\x05\x02"               # 1.3.6.1.5.5.2
OID_NTLMSSP = b"\x06\x0a\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"  # 1.3.6.1.4.1.311.2.2.10
# 56, key exchange, 128, version, ESS, always sign, NTLM, sign, request target, OEM, unicode
NTLM_FLAGS = 0xE2088297
NTLM_VERSION = struct.pack("<BBHxxxB", 10, 0, 19041, 15)  # Windows 10.0.19041, NTLMSSP rev 15


def utf16(text):
    return text.encode("utf-16-le")


# --- transport and header ---

def direct_tcp(message):
    """Direct TCP transport: a zero byte and a 24-bit length (MS-SMB2 2.1)."""
    return struct.pack("!I", len(message)) + message


def header(command, message_id, is_response=False, status=STATUS_SUCCESS, tree_id=0,
           session_id=0, credits=1):
    flags = FLAGS_RESPONSE if is_response else 0
    return (b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", HEADER_SIZE, 1, status, command, credits,
                                     flags, 0, message_id, 0xFEFF, tree_id, session_id)
            + bytes(16))


def packet(command, message_id, body, **kwargs):
    return direct_tcp(header(command, message_id, **kwargs) + body)


# --- DER for SPNEGO ---

def der(tag, content):
    length = len(content)
    if length < 0x80:
        encoded = bytes([length])
    elif length < 0x100:
        encoded = bytes([0x81, length])
    else:
        encoded = bytes([0x82]) + struct.pack("!H", length)
    return bytes([tag]) + encoded + content


def spnego_init(mech_token=None):
    """GSS-API InitialContextToken wrapping a NegTokenInit offering NTLMSSP."""
    fields = der(0xA0, der(0x30, OID_NTLMSSP))
    if mech_token is not None:
        fields += der(0xA2, der(0x04, mech_token))
    return der(0x60, OID_SPNEGO + der(0xA0, der(0x30, fields)))


def spnego_resp(state=None, token=None, with_mech=False):
    """NegTokenResp: negState (0 accept-completed, 1 accept-incomplete), mech, token."""
    fields = b""
    if state is not None:
        fields += der(0xA0, der(0x0A, bytes([state])))
    if with_mech:
        fields += der(0xA1, OID_NTLMSSP)
    if token is not None:
        fields += der(0xA2, der(0x04, token))
    return der(0xA1, der(0x30, fields))


# --- NTLMSSP ---

def ntlm_negotiate():
    return b"NTLMSSP\x00" + struct.pack("<II", 1, NTLM_FLAGS) + bytes(16) + NTLM_VERSION


def av_pairs(domain, computer, dns_domain, timestamp):
    def pair(av_id, value):
        return struct.pack("<HH", av_id, len(value)) + value
    return (pair(2, utf16(domain)) + pair(1, utf16(computer)) + pair(4, utf16(dns_domain))
            + pair(3, utf16(computer.lower() + "." + dns_domain)) + pair(5, utf16(dns_domain))
            + pair(7, struct.pack("<Q", timestamp)) + pair(0, b""))


def ntlm_challenge(server_challenge, domain, computer, dns_domain):
    target = utf16(domain)
    info = av_pairs(domain, computer, dns_domain, FILETIME_2024_05_01)
    offset = 56
    return (b"NTLMSSP\x00" + struct.pack("<IHHI", 2, len(target), len(target), offset)
            + struct.pack("<I", NTLM_FLAGS) + server_challenge + bytes(8)
            + struct.pack("<HHI", len(info), len(info), offset + len(target)) + NTLM_VERSION
            + target + info)


def ntlm_authenticate(domain, user, workstation, nt_proof, client_challenge, target_info,
                      session_key, mic):
    """NTLMv2 AUTHENTICATE: an empty LM response (MsvAvTimestamp present), an NTLMv2
    response (proof + client blob), names, encrypted session key, MIC.  No password."""
    blob = (struct.pack("<BBxxxxxxQ", 1, 1, FILETIME_2024_05_01) + client_challenge + bytes(4)
            + target_info + bytes(4))
    fields = [bytes(24), nt_proof + blob, utf16(domain), utf16(user), utf16(workstation),
              session_key]
    offset = 88
    descriptors = b""
    for value in fields:
        descriptors += struct.pack("<HHI", len(value), len(value), offset)
        offset += len(value)
    return (b"NTLMSSP\x00" + struct.pack("<I", 3) + descriptors + struct.pack("<I", NTLM_FLAGS)
            + NTLM_VERSION + mic + b"".join(fields))


# --- commands ---

def negotiate_request(message_id, client_guid):
    body = struct.pack("<HHHHI", 36, len(DIALECTS), 1, 0, 0x7F) + client_guid + bytes(8)
    body += b"".join(struct.pack("<H", d) for d in DIALECTS)
    return packet(NEGOTIATE, message_id, body)


def negotiate_response(message_id, server_guid):
    token = spnego_init()
    body = (struct.pack("<HHHH", 65, 1, DIALECT_SMB302, 0) + server_guid
            + struct.pack("<IIIIQQHHI", CAP_DFS_LEASING_LARGEMTU, 8388608, 8388608, 8388608,
                          FILETIME_2024_05_01, 0, HEADER_SIZE + 64, len(token), 0) + token)
    return packet(NEGOTIATE, message_id, body, is_response=True)


def session_setup_request(message_id, token, session_id=0):
    body = struct.pack("<HBBIIHHQ", 25, 0, 1, 1, 0, HEADER_SIZE + 24, len(token), 0) + token
    return packet(SESSION_SETUP, message_id, body, session_id=session_id)


def session_setup_response(message_id, token, session_id, status):
    body = struct.pack("<HHHH", 9, 0, HEADER_SIZE + 8, len(token)) + token
    return packet(SESSION_SETUP, message_id, body, is_response=True, status=status,
                  session_id=session_id)


def tree_connect_request(message_id, session_id, unc):
    path = utf16(unc)
    body = struct.pack("<HHHH", 9, 0, HEADER_SIZE + 8, len(path)) + path
    return packet(TREE_CONNECT, message_id, body, session_id=session_id)


def tree_connect_response(message_id, session_id, tree_id):
    body = struct.pack("<HBBIII", 16, 1, 0, 0x00000800, 0, 0x001F01FF)  # disk share, full access
    return packet(TREE_CONNECT, message_id, body, is_response=True, session_id=session_id,
                  tree_id=tree_id)


def create_request(message_id, session_id, tree_id, name):
    path = utf16(name)
    body = (struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x00120089, 0x80, 0x7, 1,
                        0x00000040, HEADER_SIZE + 56, len(path), 0, 0) + path)
    return packet(CREATE, message_id, body, session_id=session_id, tree_id=tree_id)


def create_response(message_id, session_id, tree_id, file_id, size):
    times = (FILETIME_2024_05_01,) * 4
    body = (struct.pack("<HBBI4QQQII", 89, 0, 0, 1, *times, (size + 4095) & ~4095, size, 0x20, 0)
            + file_id + struct.pack("<II", 0, 0))
    return packet(CREATE, message_id, body, is_response=True, session_id=session_id,
                  tree_id=tree_id)


def read_request(message_id, session_id, tree_id, file_id, length, offset=0):
    body = (struct.pack("<HBBIQ", 49, 0x50, 0, length, offset) + file_id
            + struct.pack("<IIIHH", 1, 0, 0, 0, 0) + b"\x00")
    return packet(READ, message_id, body, session_id=session_id, tree_id=tree_id)


def read_response(message_id, session_id, tree_id, data):
    body = struct.pack("<HBBIII", 17, HEADER_SIZE + 16, 0, len(data), 0, 0) + data
    return packet(READ, message_id, body, is_response=True, session_id=session_id,
                  tree_id=tree_id)


def close_request(message_id, session_id, tree_id, file_id):
    body = struct.pack("<HHI", 24, 0, 0) + file_id
    return packet(CLOSE, message_id, body, session_id=session_id, tree_id=tree_id)


def close_response(message_id, session_id, tree_id):
    body = struct.pack("<HHI4QQQI", 60, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    return packet(CLOSE, message_id, body, is_response=True, session_id=session_id,
                  tree_id=tree_id)


def simple_request(command, message_id, session_id, tree_id=0):
    """TREE_DISCONNECT and LOGOFF share a 4-byte body."""
    return packet(command, message_id, struct.pack("<HH", 4, 0), session_id=session_id,
                  tree_id=tree_id)


def simple_response(command, message_id, session_id, tree_id=0):
    return packet(command, message_id, struct.pack("<HH", 4, 0), is_response=True,
                  session_id=session_id, tree_id=tree_id)


# --- NetBIOS name service (UDP 137) ---

def netbios_encode(name, suffix=0x20):
    """First-level encoding (RFC 1001 14.1): 16 bytes padded, each nibble + 'A'."""
    raw = name.upper().encode().ljust(15, b" ") + bytes([suffix])
    encoded = bytes(b for c in raw for b in (0x41 + (c >> 4), 0x41 + (c & 0x0F)))
    return b"\x20" + encoded + b"\x00"


def nbns_query(transaction_id, name):
    return (struct.pack("!HHHHHH", transaction_id, 0x0110, 1, 0, 0, 0) + netbios_encode(name)
            + struct.pack("!HH", 0x20, 1))


def nbns_response(transaction_id, name, address):
    rdata = struct.pack("!H", 0) + address.packed
    return (struct.pack("!HHHHHH", transaction_id, 0x8500, 0, 1, 0, 0) + netbios_encode(name)
            + struct.pack("!HHIH", 0x20, 1, 300000, len(rdata)) + rdata)
