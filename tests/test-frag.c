/* test-frag.c: IPv4/IPv6 fragment reassembly through the decoder and the
 * reassembly module's caps and accounting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pcap/dlt.h>
#include <string.h>

#include "ptl-decode.h"
#include "ptl-frag.h"

/* ---- real packets (bytes copied from the shared captures) --------------- */

/* malformed/zeek-fragmented-syn.pcap, frame 1 (linktype 1, 58 bytes) */
static const guint8 frag_syn_1[] = {
    0x1e, 0x0b, 0x8b, 0x14, 0xf6, 0xf9, 0x98, 0xee, 0xcb, 0xbd, 0x07, 0xfe,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x20, 0x00, 0x40, 0x06,
    0x8e, 0xba, 0xc0, 0xa8, 0x01, 0x64, 0x0a, 0x00, 0x00, 0x05, 0x30, 0x39,
    0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0x20, 0x00, 0xc5, 0x73, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
};
/* malformed/zeek-fragmented-syn.pcap, frame 2 (linktype 1, 50 bytes) */
static const guint8 frag_syn_2[] = {
    0x1e, 0x0b, 0x8b, 0x14, 0xf6, 0xf9, 0x98, 0xee, 0xcb, 0xbd, 0x07, 0xfe,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x24, 0x00, 0x01, 0x00, 0x03, 0x40, 0x06,
    0xae, 0xbf, 0xc0, 0xa8, 0x01, 0x64, 0x0a, 0x00, 0x00, 0x05, 0x04, 0x02,
    0x08, 0x0a, 0x00, 0xbc, 0x61, 0x4e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
    0x03, 0x07,
};
/* malformed/suricata-verify-frag-eth-vlan-ipv6-tcp.pcap, frame 1 (linktype 1, 506 bytes) */
static const guint8 frag6_1[] = {
    0x05, 0x04, 0x03, 0x02, 0x01, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
    0x81, 0x00, 0x00, 0x06, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x01, 0xc0,
    0x2c, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x06, 0x00,
    0x00, 0x01, 0xa5, 0xd3, 0x3a, 0x2d, 0x30, 0x39, 0x1f, 0x90, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x50, 0x10, 0x20, 0x00, 0xc8, 0xad,
    0x00, 0x00, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41,
};
/* malformed/suricata-verify-frag-eth-vlan-ipv6-tcp.pcap, frame 2 (linktype 1, 506 bytes) */
static const guint8 frag6_2[] = {
    0x05, 0x04, 0x03, 0x02, 0x01, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
    0x81, 0x00, 0x00, 0x06, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x01, 0xc0,
    0x2c, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x06, 0x00,
    0x01, 0xb9, 0xa5, 0xd3, 0x3a, 0x2d, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41,
};
/* malformed/suricata-verify-frag-eth-vlan-ipv6-tcp.pcap, frame 3 (linktype 1, 206 bytes) */
static const guint8 frag6_3[] = {
    0x05, 0x04, 0x03, 0x02, 0x01, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
    0x81, 0x00, 0x00, 0x06, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x94,
    0x2c, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x06, 0x00,
    0x03, 0x70, 0xa5, 0xd3, 0x3a, 0x2d, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41,
};

/* ---- builders ----------------------------------------------------------- */

#define TEST_SECOND   G_GINT64_CONSTANT(1000000000)
#define TEST_UDP_DATA 1000u                  /* payload of the test datagram */
#define TEST_UDP_LEN  (8u + TEST_UDP_DATA)

typedef struct {
    guint8 data[1600];
    gsize  len;
} Frame;

static void
frame_bytes(Frame *f, const void *bytes, gsize n)
{
    assert_true(n <= sizeof f->data - f->len);
    memcpy(f->data + f->len, bytes, n);
    f->len += n;
}

static void
frame_be16(Frame *f, guint16 v)
{
    guint8 b[2] = { (guint8) (v >> 8), (guint8) v };
    frame_bytes(f, b, sizeof b);
}

static void
frame_be32(Frame *f, guint32 v)
{
    frame_be16(f, (guint16) (v >> 16));
    frame_be16(f, (guint16) v);
}

/* Raw IPv4 10.0.0.1 -> 10.0.0.2 carrying bytes [offset, offset + len) of a datagram. */
static Frame
frame_ipv4_fragment(guint16 id, guint8 proto, const guint8 *whole, guint32 offset, guint32 len,
                    gboolean has_more)
{
    static const guint8 addrs[8] = { 10, 0, 0, 1, 10, 0, 0, 2 };
    Frame f = { { 0 }, 0 };

    frame_be16(&f, 0x4500);
    frame_be16(&f, (guint16) (20 + len));
    frame_be16(&f, id);
    frame_be16(&f, (guint16) ((has_more ? 0x2000 : 0) | (offset / 8)));
    frame_be16(&f, (guint16) (64 << 8 | proto));
    frame_be16(&f, 0);
    frame_bytes(&f, addrs, sizeof addrs);
    frame_bytes(&f, whole + offset, len);
    return f;
}

/* Raw IPv6 2001:db8::1 -> 2001:db8::2 with a fragment header. */
static Frame
frame_ipv6_fragment(guint32 id, guint8 next, const guint8 *whole, guint32 offset, guint32 len,
                    gboolean has_more)
{
    static const guint8 addrs[32] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1,
                                      0x20, 0x01, 0x0d, 0xb8, [31] = 2 };
    Frame f = { { 0 }, 0 };

    frame_be32(&f, 0x60000000);
    frame_be16(&f, (guint16) (8 + len));
    frame_be16(&f, 44 << 8 | 64);             /* next: fragment, hop limit */
    frame_bytes(&f, addrs, sizeof addrs);
    frame_be16(&f, (guint16) (next << 8));
    frame_be16(&f, (guint16) (offset | (has_more ? 1 : 0)));
    frame_be32(&f, id);
    frame_bytes(&f, whole + offset, len);
    return f;
}

/* UDP 4000 -> 53 with TEST_UDP_DATA pattern bytes; seed varies the pattern. */
static void
datagram_udp(guint8 *buf, guint8 seed)
{
    guint8 header[8] = { 0x0f, 0xa0, 0x00, 0x35, (guint8) (TEST_UDP_LEN >> 8),
                         (guint8) TEST_UDP_LEN, 0, 0 };

    memcpy(buf, header, sizeof header);
    for (guint i = 0; i < TEST_UDP_DATA; i++)
        buf[8 + i] = (guint8) (seed + i * 7);
}

static PtlDecodeResult
send_frame(PtlDecoder *dec, gint64 ts_ns, const guint8 *data, gsize len, int linktype,
           PtlDecoded *out)
{
    PtlPacket pkt = { ts_ns, (guint32) len, (guint32) len, data, linktype, 0, 1 };
    return ptl_decode_packet(dec, &pkt, out);
}

static PtlDecodeResult
send4(PtlDecoder *dec, gint64 ts_ns, guint16 id, const guint8 *whole, guint32 offset, guint32 len,
      gboolean has_more, PtlDecoded *out)
{
    Frame f = frame_ipv4_fragment(id, 17, whole, offset, len, has_more);
    return send_frame(dec, ts_ns, f.data, f.len, DLT_RAW, out);
}

static PtlDecodeResult
send6(PtlDecoder *dec, guint32 id, const guint8 *whole, guint32 offset, guint32 len,
      gboolean has_more, PtlDecoded *out)
{
    Frame f = frame_ipv6_fragment(id, 17, whole, offset, len, has_more);
    return send_frame(dec, 0, f.data, f.len, DLT_RAW, out);
}

static guint64
dropped(const PtlDecoder *dec)
{
    return ptl_decoder_skip_counts(dec)[PTL_SKIP_FRAGMENT_DROPPED];
}

static void
assert_reassembled_udp(const PtlDecoded *out, const guint8 *whole)
{
    assert_true(out->is_fragmented);
    assert_int_equal(out->tuple.proto, 17);
    assert_int_equal(out->tuple.sport, 4000);
    assert_int_equal(out->tuple.dport, 53);
    assert_int_equal(out->payload_len, TEST_UDP_DATA);
    assert_int_equal(out->payload_wire_len, TEST_UDP_DATA);
    assert_memory_equal(out->payload, whole + 8, TEST_UDP_DATA);
}

/* Three fragments of the test datagram sent in the given order: only the
 * last one sent completes it. */
static void
check_order(const guint order[3])
{
    static const guint32 starts[3] = { 0, 496, 992 };
    static const guint32 lens[3] = { 496, 496, TEST_UDP_LEN - 992 };
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    guint8 whole[TEST_UDP_LEN];
    datagram_udp(whole, 1);
    PtlDecoded out;

    for (guint i = 0; i < 3; i++) {
        guint k = order[i];
        PtlDecodeResult result = send4(dec, i, 7, whole, starts[k], lens[k], k < 2, &out);
        assert_int_equal(result, i < 2 ? PTL_DECODE_HELD : PTL_DECODE_OK);
    }
    assert_reassembled_udp(&out, whole);
    assert_int_equal(out.ip_len, 20 + TEST_UDP_LEN);
    ptl_decoder_finish(dec);
    assert_int_equal(dropped(dec), 0);
}

/* ---- tests -------------------------------------------------------------- */

static void
test_frag_in_order(void **state)
{
    (void) state;
    static const guint order[3] = { 0, 1, 2 };
    check_order(order);
}

static void
test_frag_reverse_order(void **state)
{
    (void) state;
    static const guint order[3] = { 2, 1, 0 };
    check_order(order);
}

static void
test_frag_any_order(void **state)
{
    (void) state;
    static const guint orders[4][3] = { { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 } };
    for (guint i = 0; i < G_N_ELEMENTS(orders); i++)
        check_order(orders[i]);
}

static void
test_frag_overlap_first_wins_v4(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    guint8 first[TEST_UDP_LEN], second[TEST_UDP_LEN], expected[TEST_UDP_LEN];
    datagram_udp(first, 1);
    datagram_udp(second, 99);
    PtlDecoded out;

    /* the second copy spans the first on both sides: it fills only the holes */
    assert_int_equal(send4(dec, 0, 9, first, 8, 8, TRUE, &out), PTL_DECODE_HELD);
    assert_int_equal(send4(dec, 0, 9, second, 0, 32, TRUE, &out), PTL_DECODE_HELD);
    assert_int_equal(send4(dec, 0, 9, first, 24, TEST_UDP_LEN - 24, FALSE, &out),
                     PTL_DECODE_OK);
    memcpy(expected, first, sizeof expected);
    memcpy(expected, second, 8);
    memcpy(expected + 16, second + 16, 16);
    assert_reassembled_udp(&out, expected);
    assert_int_equal(dropped(dec), 0);
}

static void
test_frag_duplicates(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    guint8 whole[TEST_UDP_LEN];
    datagram_udp(whole, 3);
    PtlDecoded out;

    assert_int_equal(send4(dec, 0, 1, whole, 0, 504, TRUE, &out), PTL_DECODE_HELD);
    assert_int_equal(send4(dec, 0, 1, whole, 0, 504, TRUE, &out), PTL_DECODE_HELD);
    assert_int_equal(send4(dec, 0, 1, whole, 504, TEST_UDP_LEN - 504, FALSE, &out),
                     PTL_DECODE_OK);
    assert_reassembled_udp(&out, whole);

    /* IPv6: an exact duplicate is not an overlap (RFC 5722) */
    assert_int_equal(send6(dec, 1, whole, 0, 504, TRUE, &out), PTL_DECODE_HELD);
    assert_int_equal(send6(dec, 1, whole, 0, 504, TRUE, &out), PTL_DECODE_HELD);
    assert_int_equal(send6(dec, 1, whole, 504, TEST_UDP_LEN - 504, FALSE, &out),
                     PTL_DECODE_OK);
    assert_reassembled_udp(&out, whole);
    ptl_decoder_finish(dec);
    assert_int_equal(dropped(dec), 0);
}

static void
test_frag_timeout(void **state)
{
    (void) state;
    PtlDecoderConfig cfg = { 0, 0, TEST_SECOND, { 0 } };
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(&cfg);
    guint8 whole[TEST_UDP_LEN];
    datagram_udp(whole, 4);
    PtlDecoded out;

    assert_int_equal(send4(dec, 0, 1, whole, 0, 496, TRUE, &out), PTL_DECODE_HELD);
    assert_int_equal(send4(dec, TEST_SECOND / 2, 1, whole, 496, 496, TRUE, &out),
                     PTL_DECODE_HELD);
    /* two seconds later both have expired: the last fragment starts afresh */
    assert_int_equal(send4(dec, 2 * TEST_SECOND, 1, whole, 992, TEST_UDP_LEN - 992, FALSE, &out),
                     PTL_DECODE_HELD);
    assert_int_equal(dropped(dec), 2);
    ptl_decoder_finish(dec);
    assert_int_equal(dropped(dec), 3);
    ptl_decoder_finish(dec);
    assert_int_equal(dropped(dec), 3);
}

static void
test_frag_cap_datagrams(void **state)
{
    (void) state;
    PtlDecoderConfig cfg = { 0, 2, 0, { 0 } };
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(&cfg);
    guint8 whole[TEST_UDP_LEN];
    datagram_udp(whole, 5);
    PtlDecoded out;

    for (guint16 id = 1; id <= 3; id++)
        assert_int_equal(send4(dec, id, id, whole, 0, 504, TRUE, &out), PTL_DECODE_HELD);
    assert_int_equal(dropped(dec), 1);       /* the oldest, id 1, made room */
    for (guint16 id = 2; id <= 3; id++) {
        assert_int_equal(send4(dec, 9, id, whole, 504, TEST_UDP_LEN - 504, FALSE, &out),
                         PTL_DECODE_OK);
    }
    assert_int_equal(send4(dec, 9, 1, whole, 504, TEST_UDP_LEN - 504, FALSE, &out),
                     PTL_DECODE_HELD);
    ptl_decoder_finish(dec);
    assert_int_equal(dropped(dec), 2);
}

static void
test_frag_cap_memory(void **state)
{
    (void) state;
    PtlDecoderConfig cfg = { 2048, 0, 0, { 0 } };
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(&cfg);
    guint8 whole[TEST_UDP_LEN];
    datagram_udp(whole, 6);
    PtlDecoded out;

    /* 800 bytes each: the third evicts the first */
    for (guint16 id = 1; id <= 3; id++)
        assert_int_equal(send4(dec, id, id, whole, 0, 800, TRUE, &out), PTL_DECODE_HELD);
    assert_int_equal(dropped(dec), 1);
    assert_int_equal(send4(dec, 9, 3, whole, 800, TEST_UDP_LEN - 800, FALSE, &out),
                     PTL_DECODE_OK);
    assert_reassembled_udp(&out, whole);

    /* completing id 3 needed the room id 2 held */
    assert_int_equal(dropped(dec), 2);

    /* one datagram that cannot fit at all: refused, and what it held goes too */
    static const guint8 big[2008] = { 0 };
    assert_int_equal(send4(dec, 10, 4, big, 0, 992, TRUE, &out), PTL_DECODE_HELD);
    assert_int_equal(send4(dec, 10, 4, big, 992, 16, TRUE, &out), PTL_DECODE_HELD);
    assert_int_equal(send4(dec, 10, 4, big, 1008, 1000, FALSE, &out), PTL_DECODE_SKIPPED);
    assert_int_equal(out.skip, PTL_SKIP_FRAGMENT_DROPPED);
    ptl_decoder_finish(dec);
    assert_int_equal(dropped(dec), 2 + 3);
}

static void
test_frag_ipv6_real(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlDecoded out;

    assert_int_equal(send_frame(dec, 0, frag6_1, sizeof frag6_1, DLT_EN10MB, &out),
                     PTL_DECODE_HELD);
    assert_int_equal(send_frame(dec, 0, frag6_2, sizeof frag6_2, DLT_EN10MB, &out),
                     PTL_DECODE_HELD);
    assert_int_equal(send_frame(dec, 0, frag6_3, sizeof frag6_3, DLT_EN10MB, &out),
                     PTL_DECODE_OK);
    char buf[PTL_ADDR_STRLEN];
    assert_string_equal(ptl_addr_to_string(&out.tuple.src, buf), "::1");
    assert_int_equal(out.tuple.sport, 12345);
    assert_int_equal(out.tuple.dport, 8080);
    assert_int_equal(out.vlan, 6);
    assert_int_equal(out.tcp_flags, 0x10);
    assert_true(out.is_fragmented);
    assert_int_equal(out.payload_len, 1000);
    assert_int_equal(out.ip_len, 40 + 20 + 1000);
}

static void
test_frag_ipv6_overlap_drops_datagram(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    guint8 whole[TEST_UDP_LEN];
    datagram_udp(whole, 7);
    PtlDecoded out;

    assert_int_equal(send6(dec, 5, whole, 0, 16, TRUE, &out), PTL_DECODE_HELD);
    assert_int_equal(send6(dec, 5, whole, 8, 16, TRUE, &out), PTL_DECODE_SKIPPED);
    assert_int_equal(out.skip, PTL_SKIP_FRAGMENT_DROPPED);
    assert_int_equal(dropped(dec), 2);
    /* the rest cannot complete what is gone */
    assert_int_equal(send6(dec, 5, whole, 16, TEST_UDP_LEN - 16, FALSE, &out), PTL_DECODE_HELD);
    ptl_decoder_finish(dec);
    assert_int_equal(dropped(dec), 3);
}

static void
test_frag_tiny_first_fragment(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    /* TCP 1234 -> 22: an ACK whose flags a later overlapping fragment tries to
     * turn into a SYN (RFC 1858) */
    guint8 ack[24] = { 0x04, 0xd2, 0x00, 0x16, 0, 0, 0, 1, 0, 0, 0, 2, 0x50, 0x10, 0x10, 0,
                       0, 0, 0, 0, 'd', 'a', 't', 'a' };
    guint8 syn[24];
    memcpy(syn, ack, sizeof syn);
    syn[13] = 0x02;
    PtlDecoded out;

    Frame f = frame_ipv4_fragment(3, 6, ack, 0, 8, TRUE);   /* ports and seq only */
    assert_int_equal(send_frame(dec, 0, f.data, f.len, DLT_RAW, &out), PTL_DECODE_HELD);
    f = frame_ipv4_fragment(3, 6, ack, 8, 8, TRUE);
    assert_int_equal(send_frame(dec, 0, f.data, f.len, DLT_RAW, &out), PTL_DECODE_HELD);
    f = frame_ipv4_fragment(3, 6, syn, 8, 16, FALSE);
    assert_int_equal(send_frame(dec, 0, f.data, f.len, DLT_RAW, &out), PTL_DECODE_OK);
    assert_int_equal(out.tuple.dport, 22);
    assert_int_equal(out.tcp_flags, 0x10);
    assert_int_equal(out.payload_len, 4);
    assert_memory_equal(out.payload, "data", 4);
}

static void
test_frag_tiny_fragment_flood(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    guint8 whole[2 * (PTL_FRAG_MAX_PIECES + 1) * 8] = { 0 };
    PtlDecoded out;

    /* 8-byte fragments with holes between them, so nothing ever completes */
    for (guint i = 0; i < PTL_FRAG_MAX_PIECES; i++) {
        Frame f = frame_ipv4_fragment(11, 17, whole, i * 16, 8, TRUE);
        assert_int_equal(send_frame(dec, 0, f.data, f.len, DLT_RAW, &out), PTL_DECODE_HELD);
    }
    Frame f = frame_ipv4_fragment(11, 17, whole, PTL_FRAG_MAX_PIECES * 16, 8, TRUE);
    assert_int_equal(send_frame(dec, 0, f.data, f.len, DLT_RAW, &out), PTL_DECODE_SKIPPED);
    assert_int_equal(out.skip, PTL_SKIP_FRAGMENT_DROPPED);
    assert_int_equal(dropped(dec), PTL_FRAG_MAX_PIECES + 1);
    ptl_decoder_finish(dec);
    assert_int_equal(dropped(dec), PTL_FRAG_MAX_PIECES + 1);
}

static void
test_frag_beyond_64k(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    guint8 whole[65536 + 16] = { 0 };
    PtlDecoded out;

    /* offset 65528 + 16 bytes: a datagram past 65535 (ping of death) */
    assert_int_equal(send4(dec, 0, 2, whole, 0, 16, TRUE, &out), PTL_DECODE_HELD);
    assert_int_equal(send4(dec, 0, 2, whole, 8191 * 8, 16, FALSE, &out), PTL_DECODE_SKIPPED);
    assert_int_equal(out.skip, PTL_SKIP_FRAGMENT_DROPPED);
    assert_int_equal(dropped(dec), 2);

    /* the largest legal end is accepted */
    assert_int_equal(send4(dec, 0, 3, whole, 65512, 65535 - 20 - 65512, FALSE, &out),
                     PTL_DECODE_HELD);
    ptl_decoder_finish(dec);
    assert_int_equal(dropped(dec), 3);
}

static void
test_frag_real_ipv4_syn(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlDecoded out;

    assert_int_equal(send_frame(dec, 0, frag_syn_1, sizeof frag_syn_1, DLT_EN10MB, &out),
                     PTL_DECODE_HELD);
    assert_int_equal(send_frame(dec, 0, frag_syn_2, sizeof frag_syn_2, DLT_EN10MB, &out),
                     PTL_DECODE_OK);
    char buf[PTL_ADDR_STRLEN];
    assert_string_equal(ptl_addr_to_string(&out.tuple.src, buf), "192.168.1.100");
    assert_int_equal(out.tuple.sport, 12345);
    assert_int_equal(out.tuple.dport, 80);
    assert_int_equal(out.tcp_flags, 0x02);
    assert_true(out.is_fragmented);
    assert_int_equal(out.ip_len, 20 + 40);
}

static void
test_frag_unusable_fragments(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    guint8 whole[TEST_UDP_LEN];
    datagram_udp(whole, 8);
    PtlDecoded out;

    /* cut by the snapshot length: can never be reassembled */
    Frame f = frame_ipv4_fragment(4, 17, whole, 0, 504, TRUE);
    PtlPacket cut = { 0, 100, (guint32) f.len, f.data, DLT_RAW, 0, 1 };
    assert_int_equal(ptl_decode_packet(dec, &cut, &out), PTL_DECODE_SKIPPED);
    assert_int_equal(out.skip, PTL_SKIP_FRAGMENT_DROPPED);

    /* IPv6 non-last fragment that is not a multiple of 8 */
    assert_int_equal(send6(dec, 8, whole, 0, 20, TRUE, &out), PTL_DECODE_SKIPPED);
    assert_int_equal(out.skip, PTL_SKIP_FRAGMENT_DROPPED);

    /* fragments of protocols that never become flows are not held */
    f = frame_ipv4_fragment(5, 50, whole, 0, 504, TRUE);  /* ESP */
    assert_int_equal(send_frame(dec, 0, f.data, f.len, DLT_RAW, &out), PTL_DECODE_SKIPPED);
    assert_int_equal(out.skip, PTL_SKIP_OTHER_L4);
    ptl_decoder_finish(dec);
    assert_int_equal(dropped(dec), 2);
}

/* ---- the reassembly module directly ------------------------------------- */

static PtlFragment
fragment_v4(guint32 id, const guint8 *whole, guint32 offset, guint32 len, gboolean has_more)
{
    PtlFragment f = { 0 };
    f.key.src.family = 4;
    f.key.dst.family = 4;
    f.key.dst.bytes[3] = 1;
    f.key.id = id;
    f.key.proto = 17;
    f.offset = offset;
    f.has_more = has_more;
    f.data = whole + offset;
    f.len = len;
    f.max_end = PTL_FRAG_MAX_DATAGRAM - 20;
    return f;
}

static void
test_frag_module_accounting(void **state)
{
    (void) state;
    g_autoptr(PtlFrag) frag = ptl_frag_new(1 << 20, 16, TEST_SECOND);
    guint8 whole[TEST_UDP_LEN];
    datagram_udp(whole, 9);
    const guint8 *data;
    guint32 len;

    /* an odd-length IPv4 middle fragment keeps its whole 8-byte units (Linux) */
    PtlFragment a = fragment_v4(1, whole, 0, 21, TRUE);
    assert_int_equal(ptl_frag_add(frag, &a, &data, &len), PTL_FRAG_HELD);
    assert_int_equal(ptl_frag_n_datagrams(frag), 1);
    assert_true(ptl_frag_held_bytes(frag) > 16);
    PtlFragment b = fragment_v4(1, whole, 16, TEST_UDP_LEN - 16, FALSE);
    assert_int_equal(ptl_frag_add(frag, &b, &data, &len), PTL_FRAG_COMPLETE);
    assert_int_equal(len, TEST_UDP_LEN);
    assert_memory_equal(data, whole, TEST_UDP_LEN);
    assert_int_equal(ptl_frag_n_datagrams(frag), 0);
    assert_int_equal(ptl_frag_held_bytes(frag), 0);
    assert_int_equal(ptl_frag_stats(frag)->completed, 1);

    /* a second last fragment with another end is inconsistent */
    PtlFragment last = fragment_v4(2, whole, 504, 504, FALSE);
    assert_int_equal(ptl_frag_add(frag, &last, &data, &len), PTL_FRAG_HELD);
    PtlFragment other_end = fragment_v4(2, whole, 504, 400, FALSE);
    assert_int_equal(ptl_frag_add(frag, &other_end, &data, &len), PTL_FRAG_DROPPED);
    assert_int_equal(ptl_frag_stats(frag)->invalid, 1);
    assert_int_equal(ptl_frag_take_dropped(frag), 1);
    assert_int_equal(ptl_frag_take_dropped(frag), 0);

    /* IPv6 overlap is counted on its own */
    PtlFragment v6 = fragment_v4(3, whole, 0, 16, TRUE);
    v6.key.src.family = 6;
    v6.key.dst.family = 6;
    assert_int_equal(ptl_frag_add(frag, &v6, &data, &len), PTL_FRAG_HELD);
    v6.offset = 8;
    v6.data = whole + 8;
    assert_int_equal(ptl_frag_add(frag, &v6, &data, &len), PTL_FRAG_DROPPED);
    assert_int_equal(ptl_frag_stats(frag)->overlaps, 1);

    /* expiry looks at capture time only */
    PtlFragment old = fragment_v4(4, whole, 0, 8, TRUE);
    assert_int_equal(ptl_frag_add(frag, &old, &data, &len), PTL_FRAG_HELD);
    ptl_frag_expire(frag, TEST_SECOND - 1);
    assert_int_equal(ptl_frag_n_datagrams(frag), 1);
    ptl_frag_expire(frag, TEST_SECOND);
    assert_int_equal(ptl_frag_n_datagrams(frag), 0);
    assert_int_equal(ptl_frag_stats(frag)->timed_out, 1);
    assert_int_equal(ptl_frag_held_bytes(frag), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frag_in_order),
        cmocka_unit_test(test_frag_reverse_order),
        cmocka_unit_test(test_frag_any_order),
        cmocka_unit_test(test_frag_overlap_first_wins_v4),
        cmocka_unit_test(test_frag_duplicates),
        cmocka_unit_test(test_frag_timeout),
        cmocka_unit_test(test_frag_cap_datagrams),
        cmocka_unit_test(test_frag_cap_memory),
        cmocka_unit_test(test_frag_ipv6_real),
        cmocka_unit_test(test_frag_ipv6_overlap_drops_datagram),
        cmocka_unit_test(test_frag_tiny_first_fragment),
        cmocka_unit_test(test_frag_tiny_fragment_flood),
        cmocka_unit_test(test_frag_beyond_64k),
        cmocka_unit_test(test_frag_real_ipv4_syn),
        cmocka_unit_test(test_frag_unusable_fragments),
        cmocka_unit_test(test_frag_module_accounting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
