"""AMQP 0-9-1 frames (amqp0-9-1.pdf sections 2.3.5 and 4.2; class/method ids from the XML spec)."""
import struct

PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"
FRAME_METHOD, FRAME_HEADER, FRAME_BODY, FRAME_HEARTBEAT = 1, 2, 3, 8
FRAME_END = b"\xce"

CONNECTION, CHANNEL, BASIC = 10, 20, 60
REPLY_SUCCESS = 200


def shortstr(text):
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("!B", len(raw)) + raw


def longstr(raw):
    raw = raw.encode() if isinstance(raw, str) else raw
    return struct.pack("!I", len(raw)) + raw


def field_value(value):
    if isinstance(value, bool):
        return b"t" + struct.pack("!B", value)
    if isinstance(value, int):
        return b"I" + struct.pack("!i", value)
    if isinstance(value, dict):
        return b"F" + table(value)
    return b"S" + longstr(value)


def table(fields):
    body = b"".join(shortstr(name) + field_value(value) for name, value in fields.items())
    return struct.pack("!I", len(body)) + body


def frame(frame_type, channel, payload):
    return struct.pack("!BHI", frame_type, channel, len(payload)) + payload + FRAME_END


def method(channel, class_id, method_id, arguments=b""):
    return frame(FRAME_METHOD, channel, struct.pack("!HH", class_id, method_id) + arguments)


def connection_start(product="RabbitMQ", version="3.12.13"):
    properties = table({
        "capabilities": {"publisher_confirms": True, "basic.nack": True,
                         "consumer_cancel_notify": True, "connection.blocked": True},
        "cluster_name": "rabbit@node1",
        "platform": "Erlang/OTP 26.2.5",
        "product": product,
        "version": version,
    })
    return method(0, CONNECTION, 10, b"\x00\x09" + properties + longstr("PLAIN AMQPLAIN")
                  + longstr("en_US"))


def connection_start_ok(user, password, product="pika"):
    """SASL PLAIN (RFC 4616): authzid NUL authcid NUL passwd, sent in clear."""
    properties = table({"product": product, "platform": "Python 3.11.2",
                        "capabilities": {"basic.nack": True, "publisher_confirms": True}})
    response = b"\x00" + user.encode() + b"\x00" + password.encode()
    return method(0, CONNECTION, 11, properties + shortstr("PLAIN") + longstr(response)
                  + shortstr("en_US"))


def connection_start_ok_amqplain(user, password, product="php-amqplib"):
    """AMQPLAIN: a field table (without its length prefix) holding LOGIN and PASSWORD."""
    properties = table({"product": product})
    response = table({"LOGIN": user, "PASSWORD": password})[4:]
    return method(0, CONNECTION, 11, properties + shortstr("AMQPLAIN") + longstr(response)
                  + shortstr("en_US"))


def connection_tune(channel_max=2047, frame_max=131072, heartbeat=60):
    return method(0, CONNECTION, 30, struct.pack("!HIH", channel_max, frame_max, heartbeat))


def connection_tune_ok(channel_max=2047, frame_max=131072, heartbeat=60):
    return method(0, CONNECTION, 31, struct.pack("!HIH", channel_max, frame_max, heartbeat))


def connection_open(vhost="/"):
    return method(0, CONNECTION, 40, shortstr(vhost) + shortstr("") + b"\x00")


def connection_open_ok():
    return method(0, CONNECTION, 41, shortstr(""))


def close_args(code, text, class_id=0, method_id=0):
    return struct.pack("!H", code) + shortstr(text) + struct.pack("!HH", class_id, method_id)


def connection_close(code=REPLY_SUCCESS, text="Normal shutdown"):
    return method(0, CONNECTION, 50, close_args(code, text))


def connection_close_ok():
    return method(0, CONNECTION, 51)


def channel_open(channel):
    return method(channel, CHANNEL, 10, shortstr(""))


def channel_open_ok(channel):
    return method(channel, CHANNEL, 11, longstr(b""))


def channel_close(channel, code=REPLY_SUCCESS, text="Normal shutdown"):
    return method(channel, CHANNEL, 40, close_args(code, text))


def channel_close_ok(channel):
    return method(channel, CHANNEL, 41)


def basic_publish(channel, exchange, routing_key, body, content_type="application/json"):
    """Basic.Publish, its content header (class 60, weight 0, size, content-type and
    delivery-mode properties) and one body frame."""
    publish = method(channel, BASIC, 40, struct.pack("!H", 0) + shortstr(exchange)
                     + shortstr(routing_key) + b"\x00")
    flags = 0x8000 | 0x1000  # content-type, delivery-mode
    header = struct.pack("!HHQH", BASIC, 0, len(body), flags) + shortstr(content_type) + b"\x02"
    return publish + frame(FRAME_HEADER, channel, header) + frame(FRAME_BODY, channel, body)


def client_handshake(user, password, vhost="/", mechanism="PLAIN"):
    """The client's and server's bytes of a whole login, as (client, server) steps."""
    start_ok = connection_start_ok if mechanism == "PLAIN" else connection_start_ok_amqplain
    return [
        (PROTOCOL_HEADER, connection_start()),
        (start_ok(user, password), connection_tune()),
        (connection_tune_ok() + connection_open(vhost), connection_open_ok()),
    ]
