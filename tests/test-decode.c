/* test-decode.c: link, IP and transport decoding, truncation at every byte. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pcap/dlt.h>
#include <string.h>

#include "ptl-decode.h"

/* ---- real packets (bytes copied from the shared captures) --------------- */

/* malformed/zeek-vlan-qinqinq.pcap, frame 1 (linktype 1, 90 bytes) */
static const guint8 qinqinq_1[] = {
    0x00, 0x10, 0xdb, 0x88, 0xd2, 0xef, 0xc8, 0xbc, 0xc8, 0x96, 0xd2, 0xa0,
    0x81, 0x00, 0x00, 0x1e, 0x81, 0x00, 0x00, 0x14, 0x81, 0x00, 0x00, 0x0a,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x40, 0xdf, 0x8e, 0x40, 0x00, 0x40, 0x06,
    0x6d, 0xd3, 0x8d, 0x8e, 0xe4, 0x05, 0xc0, 0x96, 0xbb, 0x2b, 0xe9, 0xd0,
    0x00, 0x50, 0xfe, 0x21, 0x32, 0x3a, 0x00, 0x00, 0x00, 0x00, 0xb0, 0x02,
    0xff, 0xff, 0x3b, 0xc0, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03,
    0x03, 0x04, 0x01, 0x01, 0x08, 0x0a, 0x16, 0x4a, 0xdd, 0x20, 0x00, 0x00,
    0x00, 0x00, 0x04, 0x02, 0x00, 0x00,
};
/* malformed/zeek-mixed-vlan-mpls.pcap, frame 1 (linktype 1, 62 bytes) */
static const guint8 mpls_1[] = {
    0x00, 0x30, 0x96, 0xe6, 0xfc, 0x39, 0x00, 0x30, 0x96, 0x05, 0x28, 0x38,
    0x88, 0x47, 0x00, 0x01, 0xdd, 0xff, 0x45, 0xc0, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x00, 0xff, 0x06, 0xa4, 0xe7, 0x0a, 0x01, 0x02, 0x01, 0x0a, 0x22,
    0x00, 0x01, 0x2a, 0xf9, 0x00, 0x17, 0x98, 0x32, 0x0f, 0xfb, 0x00, 0x00,
    0x00, 0x00, 0x60, 0x02, 0x10, 0x20, 0xa2, 0x40, 0x00, 0x00, 0x02, 0x04,
    0x02, 0x18,
};
/* malformed/tcpdump-tcp-handshake-nano.pcap, frame 1 (linktype 113, 76 bytes) */
static const guint8 sll_1[] = {
    0x00, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x29, 0xa9, 0x40, 0x00,
    0x40, 0x06, 0xdb, 0x5f, 0x83, 0x9b, 0xd7, 0x45, 0x89, 0x74, 0x51, 0x5e,
    0xb6, 0x40, 0x00, 0x50, 0x2f, 0x84, 0x2a, 0xcb, 0x00, 0x00, 0x00, 0x00,
    0xa0, 0x02, 0x6a, 0x40, 0x50, 0xc4, 0x00, 0x00, 0x02, 0x04, 0x05, 0x50,
    0x04, 0x02, 0x08, 0x0a, 0x43, 0x6a, 0x03, 0x62, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x03, 0x03, 0x07,
};
/* malformed/suricata-verify-decode-sll2-01-input.pcap, frame 1 (linktype 276, 80 bytes) */
static const guint8 sll2_1[] = {
    0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x04, 0x06,
    0xaa, 0x76, 0x30, 0x71, 0xb0, 0xe7, 0x00, 0x00, 0x45, 0x00, 0x00, 0x3c,
    0x45, 0xa9, 0x40, 0x00, 0x40, 0x06, 0x70, 0xb0, 0xc0, 0xa8, 0x01, 0xfd,
    0xc0, 0xa8, 0x01, 0x15, 0xdc, 0x9e, 0x00, 0x50, 0x8b, 0x0b, 0x43, 0x93,
    0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0xd7, 0x0c, 0x00, 0x00,
    0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xc5, 0xbe, 0x80, 0x53,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};
/* malformed/zeek-nflog-http.pcap, frame 1 (linktype 239, 108 bytes) */
static const guint8 nflog_1[] = {
    0x02, 0x00, 0x00, 0x2a, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00,
    0x05, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x05, 0x00,
    0x00, 0x00, 0x00, 0x02, 0x08, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x09, 0x00,
    0x45, 0x00, 0x00, 0x3c, 0xe8, 0xef, 0x40, 0x00, 0x40, 0x06, 0x0f, 0xe3,
    0x0a, 0x00, 0x02, 0x0f, 0x5d, 0xb8, 0xd8, 0x22, 0xc2, 0x62, 0x00, 0x50,
    0x3f, 0x32, 0xba, 0xd1, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0x72, 0x10,
    0x42, 0x18, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
    0x00, 0x27, 0x52, 0x3e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};
/* amqp/amqp-parser-amqp.pcap, frame 1 (linktype 0, 68 bytes) */
static const guint8 null_1[] = {
    0x02, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x40, 0x00, 0x00, 0x40, 0x00,
    0x40, 0x06, 0x00, 0x00, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01,
    0xfb, 0x3b, 0x11, 0x11, 0x21, 0xae, 0x37, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xb0, 0x02, 0xff, 0xff, 0xfe, 0x34, 0x00, 0x00, 0x02, 0x04, 0x3f, 0xd8,
    0x01, 0x03, 0x03, 0x05, 0x01, 0x01, 0x08, 0x0a, 0x23, 0xec, 0xfa, 0x60,
    0x00, 0x00, 0x00, 0x00, 0x04, 0x02, 0x00, 0x00,
};

/* ---- builders ----------------------------------------------------------- */

#define TEST_SEQ    1000u
#define TEST_ACK    2000u
#define TEST_WINDOW 512u

typedef struct {
    guint8 data[1024];
    gsize  len;
} Pkt;

static void
pkt_bytes(Pkt *p, const void *bytes, gsize n)
{
    assert_true(n <= sizeof p->data - p->len);
    memcpy(p->data + p->len, bytes, n);
    p->len += n;
}

static void
pkt_u8(Pkt *p, guint8 v)
{
    pkt_bytes(p, &v, 1);
}

static void
pkt_be16(Pkt *p, guint16 v)
{
    guint8 b[2] = { (guint8) (v >> 8), (guint8) v };
    pkt_bytes(p, b, sizeof b);
}

static void
pkt_be32(Pkt *p, guint32 v)
{
    pkt_be16(p, (guint16) (v >> 16));
    pkt_be16(p, (guint16) v);
}

static void
pkt_le32(Pkt *p, guint32 v)
{
    guint8 b[4] = { (guint8) v, (guint8) (v >> 8), (guint8) (v >> 16), (guint8) (v >> 24) };
    pkt_bytes(p, b, sizeof b);
}

static void
pkt_zeros(Pkt *p, gsize n)
{
    for (gsize i = 0; i < n; i++)
        pkt_u8(p, 0);
}

static void
pkt_payload(Pkt *p, gsize n)
{
    for (gsize i = 0; i < n; i++)
        pkt_u8(p, (guint8) ('a' + i % 26));
}

static void
pkt_addr(Pkt *p, const char *text)
{
    PtlAddr addr;
    assert_true(ptl_addr_parse(text, &addr));
    pkt_bytes(p, addr.bytes, addr.family == 6 ? 16 : 4);
}

static void
pkt_ethernet(Pkt *p, guint16 type)
{
    static const guint8 macs[12] = { 0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02 };
    pkt_bytes(p, macs, sizeof macs);
    pkt_be16(p, type);
}

/* a VLAN tag body: its TCI, then the type that follows */
static void
pkt_tag(Pkt *p, guint16 id, guint16 next_type)
{
    pkt_be16(p, (guint16) (0x2000 | id));    /* priority 1 must not leak into the id */
    pkt_be16(p, next_type);
}

static void
pkt_ipv4_addrs(Pkt *p, const char *src, const char *dst, guint8 proto, guint16 payload_len)
{
    pkt_u8(p, 0x45);
    pkt_u8(p, 0);
    pkt_be16(p, (guint16) (20 + payload_len));
    pkt_be32(p, 0x12340000);                 /* id, no fragment bits */
    pkt_u8(p, 64);
    pkt_u8(p, proto);
    pkt_be16(p, 0);
    pkt_addr(p, src);
    pkt_addr(p, dst);
}

static void
pkt_ipv4(Pkt *p, guint8 proto, guint16 payload_len)
{
    pkt_ipv4_addrs(p, "10.0.0.1", "10.0.0.2", proto, payload_len);
}

static void
pkt_ipv6_addrs(Pkt *p, const char *src, const char *dst, guint8 next, guint16 payload_len)
{
    pkt_be32(p, 0x60000000);
    pkt_be16(p, payload_len);
    pkt_u8(p, next);
    pkt_u8(p, 63);
    pkt_addr(p, src);
    pkt_addr(p, dst);
}

static void
pkt_ipv6(Pkt *p, guint8 next, guint16 payload_len)
{
    pkt_ipv6_addrs(p, "2001:db8::1", "2001:db8::2", next, payload_len);
}

/* an options-style extension header of (len8 + 1) * 8 bytes */
static void
pkt_ext(Pkt *p, guint8 next, guint8 len8)
{
    pkt_u8(p, next);
    pkt_u8(p, len8);
    pkt_zeros(p, (len8 + 1u) * 8u - 2);
}

static void
pkt_tcp(Pkt *p, guint16 sport, guint16 dport, guint8 flags, guint8 option_words)
{
    pkt_be16(p, sport);
    pkt_be16(p, dport);
    pkt_be32(p, TEST_SEQ);
    pkt_be32(p, TEST_ACK);
    pkt_u8(p, (guint8) ((5 + option_words) << 4));
    pkt_u8(p, flags);
    pkt_be16(p, TEST_WINDOW);
    pkt_be32(p, 0);                           /* checksum, urgent */
    for (guint i = 0; i < option_words; i++)
        pkt_be32(p, 0x01010101);              /* NOPs */
}

static void
pkt_udp(Pkt *p, guint16 sport, guint16 dport, guint16 payload_len)
{
    pkt_be16(p, sport);
    pkt_be16(p, dport);
    pkt_be16(p, (guint16) (8 + payload_len));
    pkt_be16(p, 0);
}

/* Ethernet, IPv4, TCP with 2 option words, payload */
static void
pkt_eth_ipv4_tcp(Pkt *p, guint8 flags, guint16 payload_len)
{
    pkt_ethernet(p, 0x0800);
    pkt_ipv4(p, 6, (guint16) (28 + payload_len));
    pkt_tcp(p, 40000, 80, flags, 2);
    pkt_payload(p, payload_len);
}

static PtlDecodeResult
decode_cut(PtlDecoder *dec, int linktype, const guint8 *data, gsize caplen, gsize wirelen,
           PtlDecoded *out)
{
    PtlPacket pkt = { 1000, (guint32) caplen, (guint32) wirelen, data, linktype, 0, 1 };
    return ptl_decode_packet(dec, &pkt, out);
}

static PtlDecodeResult
decode(PtlDecoder *dec, int linktype, const guint8 *data, gsize len, PtlDecoded *out)
{
    return decode_cut(dec, linktype, data, len, len, out);
}

static void
assert_tuple(const PtlTuple *t, const char *src, guint16 sport, const char *dst, guint16 dport)
{
    char buf[PTL_ADDR_STRLEN];

    assert_string_equal(ptl_addr_to_string(&t->src, buf), src);
    assert_string_equal(ptl_addr_to_string(&t->dst, buf), dst);
    assert_int_equal(t->sport, sport);
    assert_int_equal(t->dport, dport);
}

/* decodes one packet expecting a skip, and checks it was counted once */
static void
assert_skip(int linktype, const guint8 *data, gsize len, PtlSkipReason reason)
{
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlDecoded out;

    assert_int_equal(decode(dec, linktype, data, len, &out), PTL_DECODE_SKIPPED);
    assert_string_equal(ptl_skip_reason_name(out.skip), ptl_skip_reason_name(reason));
    assert_int_equal(ptl_decoder_skip_counts(dec)[reason], 1);
}

static void
assert_real_syn(int linktype, const guint8 *data, gsize len, const char *src, guint16 sport,
                const char *dst, guint16 dport)
{
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlDecoded out;

    assert_int_equal(decode(dec, linktype, data, len, &out), PTL_DECODE_OK);
    assert_tuple(&out.tuple, src, sport, dst, dport);
    assert_int_equal(out.tuple.proto, 6);
    assert_int_equal(out.tcp_flags, 0x02);
    assert_int_equal(out.payload_len, 0);
}

/* ---- link types --------------------------------------------------------- */

static void
test_decode_ethernet_tcp(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    Pkt p = { 0 };
    pkt_eth_ipv4_tcp(&p, 0x18, 5);
    pkt_zeros(&p, 7);                         /* Ethernet padding: not payload */
    PtlDecoded out;

    assert_int_equal(decode(dec, DLT_EN10MB, p.data, p.len, &out), PTL_DECODE_OK);
    assert_tuple(&out.tuple, "10.0.0.1", 40000, "10.0.0.2", 80);
    assert_int_equal(out.tuple.proto, 6);
    assert_int_equal(out.ip_proto, 6);
    assert_int_equal(out.ttl, 64);
    assert_int_equal(out.tcp_flags, 0x18);
    assert_int_equal(out.seq, TEST_SEQ);
    assert_int_equal(out.ack, TEST_ACK);
    assert_int_equal(out.window, TEST_WINDOW);
    assert_int_equal(out.ip_len, 20 + 28 + 5);
    assert_int_equal(out.payload_len, 5);
    assert_int_equal(out.payload_wire_len, 5);
    assert_memory_equal(out.payload, "abcde", 5);
    assert_int_equal(out.vlan, 0);
    assert_false(out.is_fragmented);
    assert_false(out.is_icmp_error);
}

static void
test_decode_vlan_8021q(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    Pkt p = { 0 };
    pkt_ethernet(&p, 0x8100);
    pkt_tag(&p, 100, 0x0800);
    pkt_ipv4(&p, 17, 8 + 3);
    pkt_udp(&p, 5353, 53, 3);
    pkt_payload(&p, 3);
    PtlDecoded out;

    assert_int_equal(decode(dec, DLT_EN10MB, p.data, p.len, &out), PTL_DECODE_OK);
    assert_int_equal(out.vlan, 100);
    assert_int_equal(out.inner_vlan, 0);
    assert_int_equal(out.tuple.proto, 17);
}

static void
test_decode_qinq(void **state)
{
    (void) state;
    static const guint16 outer_types[] = { 0x88a8, 0x9100, 0x8100 };

    for (guint i = 0; i < G_N_ELEMENTS(outer_types); i++) {
        g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
        Pkt p = { 0 };
        pkt_ethernet(&p, outer_types[i]);
        pkt_tag(&p, 200, 0x8100);
        pkt_tag(&p, 300, 0x0800);
        pkt_ipv4(&p, 6, 20);
        pkt_tcp(&p, 1, 2, 0x10, 0);
        PtlDecoded out;

        assert_int_equal(decode(dec, DLT_EN10MB, p.data, p.len, &out), PTL_DECODE_OK);
        assert_int_equal(out.vlan, 200);
        assert_int_equal(out.inner_vlan, 300);
    }
}

static void
test_decode_three_tags_real(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlDecoded out;

    /* tags 30, 20, 10: outermost and innermost are kept */
    assert_int_equal(decode(dec, DLT_EN10MB, qinqinq_1, sizeof qinqinq_1, &out), PTL_DECODE_OK);
    assert_int_equal(out.vlan, 30);
    assert_int_equal(out.inner_vlan, 10);
    assert_tuple(&out.tuple, "141.142.228.5", 59856, "192.150.187.43", 80);
    assert_int_equal(out.tcp_flags, 0x02);
}

static void
test_decode_mpls_real(void **state)
{
    (void) state;
    assert_real_syn(DLT_EN10MB, mpls_1, sizeof mpls_1, "10.1.2.1", 11001, "10.34.0.1", 23);
}

static void
test_decode_mpls_stack_and_pseudowire(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlDecoded out;

    /* two labels, then IPv6 by its first nibble */
    Pkt v6 = { 0 };
    pkt_ethernet(&v6, 0x8847);
    pkt_be32(&v6, (16u << 12) | 64);
    pkt_be32(&v6, (17u << 12) | 0x100 | 64);
    pkt_ipv6(&v6, 17, 8);
    pkt_udp(&v6, 1000, 2000, 0);
    assert_int_equal(decode(dec, DLT_EN10MB, v6.data, v6.len, &out), PTL_DECODE_OK);
    assert_tuple(&out.tuple, "2001:db8::1", 1000, "2001:db8::2", 2000);

    /* bottom label, control word, an Ethernet frame with a VLAN tag inside */
    Pkt pw = { 0 };
    pkt_ethernet(&pw, 0x8847);
    pkt_be32(&pw, (18u << 12) | 0x100 | 64);
    pkt_be32(&pw, 0);                         /* pseudowire control word */
    pkt_ethernet(&pw, 0x8100);
    pkt_tag(&pw, 42, 0x0800);
    pkt_ipv4(&pw, 6, 20);
    pkt_tcp(&pw, 3000, 4000, 0x02, 0);
    assert_int_equal(decode(dec, DLT_EN10MB, pw.data, pw.len, &out), PTL_DECODE_OK);
    assert_int_equal(out.vlan, 42);
    assert_tuple(&out.tuple, "10.0.0.1", 3000, "10.0.0.2", 4000);

    /* a label stack that never ends */
    Pkt endless = { 0 };
    pkt_ethernet(&endless, 0x8847);
    for (guint i = 0; i < 8; i++)
        pkt_be32(&endless, (19u << 12) | 64);
    assert_skip(DLT_EN10MB, endless.data, endless.len, PTL_SKIP_LINK_TRUNCATED);
}

static void
test_decode_sll_real(void **state)
{
    (void) state;
    assert_real_syn(DLT_LINUX_SLL, sll_1, sizeof sll_1, "131.155.215.69", 46656,
                    "137.116.81.94", 80);
}

static void
test_decode_sll2_real(void **state)
{
    (void) state;
    assert_real_syn(DLT_LINUX_SLL2, sll2_1, sizeof sll2_1, "192.168.1.253", 56478,
                    "192.168.1.21", 80);
}

static void
test_decode_raw_ipv4(void **state)
{
    (void) state;
    Pkt p = { 0 };
    pkt_ipv4(&p, 6, 20);
    pkt_tcp(&p, 1234, 80, 0x02, 0);
    static const int linktypes[] = { DLT_RAW, 101, DLT_IPV4 };

    for (guint i = 0; i < G_N_ELEMENTS(linktypes); i++) {
        g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
        PtlDecoded out;
        assert_int_equal(decode(dec, linktypes[i], p.data, p.len, &out), PTL_DECODE_OK);
        assert_tuple(&out.tuple, "10.0.0.1", 1234, "10.0.0.2", 80);
    }
    assert_skip(DLT_IPV6, p.data, p.len, PTL_SKIP_IP_MALFORMED);
}

static void
test_decode_raw_ipv6(void **state)
{
    (void) state;
    Pkt p = { 0 };
    pkt_ipv6(&p, 6, 20);
    pkt_tcp(&p, 1234, 443, 0x12, 0);
    static const int linktypes[] = { DLT_RAW, DLT_IPV6 };

    for (guint i = 0; i < G_N_ELEMENTS(linktypes); i++) {
        g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
        PtlDecoded out;
        assert_int_equal(decode(dec, linktypes[i], p.data, p.len, &out), PTL_DECODE_OK);
        assert_tuple(&out.tuple, "2001:db8::1", 1234, "2001:db8::2", 443);
        assert_int_equal(out.ttl, 63);
        assert_int_equal(out.ip_len, 60);
    }
    assert_skip(DLT_IPV4, p.data, p.len, PTL_SKIP_IP_MALFORMED);
}

/* a 4-byte address family header, then an IPv4 or IPv6 TCP segment */
static void
pkt_null(Pkt *p, guint32 af, gboolean is_big_endian, guint version)
{
    if (is_big_endian)
        pkt_be32(p, af);
    else
        pkt_le32(p, af);
    if (version == 4)
        pkt_ipv4(p, 6, 20);
    else
        pkt_ipv6(p, 6, 20);
    pkt_tcp(p, 5000, 5672, 0x02, 0);
}

static void
test_decode_null_both_orders(void **state)
{
    (void) state;
    static const struct {
        guint32  af;
        gboolean is_big_endian;
        guint    version;
    } cases[] = { { 2, FALSE, 4 }, { 2, TRUE, 4 }, { 30, FALSE, 6 }, { 28, TRUE, 6 },
                  { 24, FALSE, 6 } };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
        Pkt p = { 0 };
        pkt_null(&p, cases[i].af, cases[i].is_big_endian, cases[i].version);
        PtlDecoded out;
        assert_int_equal(decode(dec, DLT_NULL, p.data, p.len, &out), PTL_DECODE_OK);
        assert_int_equal(out.tuple.src.family, cases[i].version);
        assert_int_equal(out.tuple.dport, 5672);
    }
    Pkt unknown = { 0 };
    pkt_null(&unknown, 7, FALSE, 4);
    assert_skip(DLT_NULL, unknown.data, unknown.len, PTL_SKIP_NOT_IP);
    /* macOS loopback, AF_INET little-endian */
    assert_real_syn(DLT_NULL, null_1, sizeof null_1, "127.0.0.1", 64315, "127.0.0.1", 4369);
}

static void
test_decode_loop(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    Pkt v4 = { 0 };
    pkt_null(&v4, 2, TRUE, 4);
    Pkt v6 = { 0 };
    pkt_null(&v6, 24, TRUE, 6);
    PtlDecoded out;

    assert_int_equal(decode(dec, DLT_LOOP, v4.data, v4.len, &out), PTL_DECODE_OK);
    assert_int_equal(out.tuple.src.family, 4);
    assert_int_equal(decode(dec, DLT_LOOP, v6.data, v6.len, &out), PTL_DECODE_OK);
    assert_int_equal(out.tuple.src.family, 6);
    /* LOOP is network order only */
    Pkt host = { 0 };
    pkt_null(&host, 2, FALSE, 4);
    assert_skip(DLT_LOOP, host.data, host.len, PTL_SKIP_NOT_IP);
}

static void
pkt_nflog_tlv(Pkt *p, guint16 type, const guint8 *body, guint16 body_len)
{
    guint16 len = (guint16) (4 + body_len);
    pkt_u8(p, (guint8) len);
    pkt_u8(p, (guint8) (len >> 8));
    pkt_u8(p, (guint8) type);
    pkt_u8(p, (guint8) (type >> 8));
    pkt_bytes(p, body, body_len);
    pkt_zeros(p, (4 - len % 4) % 4);
}

static void
test_decode_nflog(void **state)
{
    (void) state;
    assert_real_syn(DLT_NFLOG, nflog_1, sizeof nflog_1, "10.0.2.15", 49762, "93.184.216.34", 80);

    /* IPv6, an odd-sized prefix attribute (padding), the payload last */
    Pkt ip = { 0 };
    pkt_ipv6(&ip, 17, 8 + 2);
    pkt_udp(&ip, 53, 9999, 2);
    pkt_payload(&ip, 2);
    Pkt p = { 0 };
    pkt_u8(&p, 10);                          /* AF_INET6 */
    pkt_zeros(&p, 3);
    pkt_nflog_tlv(&p, 10, (const guint8 *) "prefix", 7);
    pkt_nflog_tlv(&p, 9, ip.data, (guint16) ip.len);
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlDecoded out;
    assert_int_equal(decode(dec, DLT_NFLOG, p.data, p.len, &out), PTL_DECODE_OK);
    assert_tuple(&out.tuple, "2001:db8::1", 53, "2001:db8::2", 9999);
    assert_int_equal(out.payload_len, 2);

    Pkt no_payload = { 0 };
    pkt_u8(&no_payload, 2);
    pkt_zeros(&no_payload, 3);
    pkt_nflog_tlv(&no_payload, 10, (const guint8 *) "x", 1);
    assert_skip(DLT_NFLOG, no_payload.data, no_payload.len, PTL_SKIP_NOT_IP);

    Pkt bad_len = { 0 };
    pkt_u8(&bad_len, 2);
    pkt_zeros(&bad_len, 3);
    pkt_be32(&bad_len, 0x02000900);          /* length 2 < header */
    assert_skip(DLT_NFLOG, bad_len.data, bad_len.len, PTL_SKIP_LINK_TRUNCATED);
}

static void
test_decode_not_ip(void **state)
{
    (void) state;
    Pkt arp = { 0 };
    pkt_ethernet(&arp, 0x0806);
    pkt_zeros(&arp, 28);
    assert_skip(DLT_EN10MB, arp.data, arp.len, PTL_SKIP_NOT_IP);

    Pkt llc = { 0 };
    pkt_ethernet(&llc, 38);                  /* 802.3 length, LLC/SNAP follows */
    pkt_bytes(&llc, "\xaa\xaa\x03\x00\x00\x00\x08\x00", 8);
    pkt_ipv4(&llc, 6, 20);
    pkt_tcp(&llc, 1, 2, 0x02, 0);
    assert_skip(DLT_EN10MB, llc.data, llc.len, PTL_SKIP_NOT_IP);
}

static void
test_decode_unsupported_linktype(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    static const guint8 bytes[] = { 0x45, 0, 0, 20 };
    static const int linktypes[] = { DLT_USER0, DLT_USER1, DLT_USER0 };
    PtlDecoded out;

    for (guint i = 0; i < G_N_ELEMENTS(linktypes); i++) {
        assert_int_equal(decode(dec, linktypes[i], bytes, sizeof bytes, &out),
                         PTL_DECODE_SKIPPED);
        assert_int_equal(out.skip, PTL_SKIP_LINKTYPE);
    }
    GArray *seen = ptl_decoder_unsupported_linktypes(dec);
    assert_int_equal(seen->len, 2);
    assert_int_equal(g_array_index(seen, int, 0), DLT_USER0);
    assert_int_equal(g_array_index(seen, int, 1), DLT_USER1);
    assert_int_equal(ptl_decoder_skip_counts(dec)[PTL_SKIP_LINKTYPE], 3);
}

/* ---- IP ----------------------------------------------------------------- */

static void
test_decode_ipv6_ext_headers(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlDecoded out;

    /* hop-by-hop, routing, destination options, AH, then TCP */
    Pkt p = { 0 };
    pkt_ipv6(&p, 0, 8 + 16 + 8 + 16 + 20 + 4);
    pkt_ext(&p, 43, 0);
    pkt_ext(&p, 60, 1);
    pkt_ext(&p, 51, 0);
    pkt_u8(&p, 6);                           /* AH: next, length in 4-byte units - 2 */
    pkt_u8(&p, 2);
    pkt_zeros(&p, 14);
    pkt_tcp(&p, 2000, 8080, 0x10, 0);
    pkt_payload(&p, 4);
    assert_int_equal(decode(dec, DLT_RAW, p.data, p.len, &out), PTL_DECODE_OK);
    assert_int_equal(out.ip_proto, 6);
    assert_int_equal(out.tuple.dport, 8080);
    assert_int_equal(out.payload_len, 4);
    assert_memory_equal(out.payload, "abcd", 4);

    /* a chain longer than the cap */
    Pkt chain = { 0 };
    pkt_ipv6(&chain, 60, 9 * 8 + 8);
    for (guint i = 0; i < 9; i++)
        pkt_ext(&chain, i < 8 ? 60 : 17, 0);
    pkt_udp(&chain, 1, 2, 0);
    assert_skip(DLT_RAW, chain.data, chain.len, PTL_SKIP_IP_MALFORMED);

    /* an extension header longer than the payload length claims */
    Pkt longer = { 0 };
    pkt_ipv6(&longer, 60, 8);
    pkt_ext(&longer, 17, 1);
    assert_skip(DLT_RAW, longer.data, longer.len, PTL_SKIP_IP_MALFORMED);

    /* jumbogram: payload length 0 */
    Pkt jumbo = { 0 };
    pkt_ipv6(&jumbo, 0, 0);
    pkt_ext(&jumbo, 17, 0);
    pkt_udp(&jumbo, 1, 2, 0);
    assert_skip(DLT_RAW, jumbo.data, jumbo.len, PTL_SKIP_IP_MALFORMED);

    /* no next header */
    Pkt none = { 0 };
    pkt_ipv6(&none, 59, 0 + 8);
    pkt_zeros(&none, 8);
    assert_skip(DLT_RAW, none.data, none.len, PTL_SKIP_OTHER_L4);
}

static void
test_decode_ipv6_atomic_fragment(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    Pkt p = { 0 };
    pkt_ipv6(&p, 44, 8 + 20);
    pkt_u8(&p, 6);
    pkt_u8(&p, 0);
    pkt_be16(&p, 0);                          /* offset 0, M clear */
    pkt_be32(&p, 0xabcdef01);
    pkt_tcp(&p, 1, 80, 0x02, 0);
    PtlDecoded out;

    assert_int_equal(decode(dec, DLT_RAW, p.data, p.len, &out), PTL_DECODE_OK);
    assert_int_equal(out.tuple.dport, 80);
    assert_false(out.is_fragmented);
}

static void
test_decode_ipv4_malformed_header(void **state)
{
    (void) state;
    Pkt p = { 0 };
    pkt_ipv4(&p, 6, 20);
    pkt_tcp(&p, 1, 2, 0x02, 0);

    Pkt small_ihl = p;
    small_ihl.data[0] = 0x44;
    assert_skip(DLT_RAW, small_ihl.data, small_ihl.len, PTL_SKIP_IP_MALFORMED);

    Pkt short_total = p;
    short_total.data[0] = 0x46;               /* 24-byte header, total 19 */
    short_total.data[2] = 0;
    short_total.data[3] = 19;
    assert_skip(DLT_RAW, short_total.data, short_total.len, PTL_SKIP_IP_MALFORMED);

    Pkt version = p;
    version.data[0] = 0x55;
    assert_skip(DLT_RAW, version.data, version.len, PTL_SKIP_IP_MALFORMED);

    Pkt cut_options = p;
    cut_options.data[0] = 0x4f;               /* 60-byte header in a 40-byte packet */
    cut_options.data[3] = 60;
    assert_skip(DLT_RAW, cut_options.data, cut_options.len, PTL_SKIP_IP_TRUNCATED);
}

static void
test_decode_ipv4_tso_length(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    Pkt p = { 0 };
    pkt_ipv4(&p, 6, 20 + 30);
    pkt_tcp(&p, 1, 8080, 0x18, 0);
    pkt_payload(&p, 30);
    p.data[2] = 0;                            /* TSO: total length left to the NIC */
    p.data[3] = 0;
    PtlDecoded out;

    assert_int_equal(decode_cut(dec, DLT_RAW, p.data, p.len, p.len + 100, &out),
                     PTL_DECODE_OK);
    assert_int_equal(out.payload_len, 30);
    assert_int_equal(out.payload_wire_len, 130);
    assert_int_equal(out.ip_len, p.len + 100);
}

static void
test_decode_other_l4(void **state)
{
    (void) state;
    Pkt esp = { 0 };                           /* GRE is followed now: ESP is not */
    pkt_ipv4(&esp, 50, 4);
    pkt_zeros(&esp, 4);
    assert_skip(DLT_RAW, esp.data, esp.len, PTL_SKIP_OTHER_L4);

    Pkt icmp6_in_v4 = { 0 };
    pkt_ipv4(&icmp6_in_v4, 58, 8);
    pkt_zeros(&icmp6_in_v4, 8);
    assert_skip(DLT_RAW, icmp6_in_v4.data, icmp6_in_v4.len, PTL_SKIP_OTHER_L4);
}

/* ---- transport ---------------------------------------------------------- */

static void
test_decode_tcp_fields(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    Pkt p = { 0 };
    pkt_ipv4(&p, 6, 32 + 6);
    pkt_tcp(&p, 65535, 1, 0xff, 3);
    pkt_payload(&p, 6);
    PtlDecoded out;

    assert_int_equal(decode(dec, DLT_RAW, p.data, p.len, &out), PTL_DECODE_OK);
    assert_int_equal(out.tuple.sport, 65535);
    assert_int_equal(out.tcp_flags, 0xff);
    assert_int_equal(out.payload_len, 6);
    assert_memory_equal(out.payload, "abcdef", 6);

    Pkt small_offset = p;
    small_offset.data[20 + 12] = 0x40;
    assert_skip(DLT_RAW, small_offset.data, small_offset.len, PTL_SKIP_L4_MALFORMED);

    Pkt past_ip = p;
    past_ip.data[20 + 12] = 0xf0;             /* 60 bytes of header in 38 of IP payload */
    assert_skip(DLT_RAW, past_ip.data, past_ip.len, PTL_SKIP_L4_MALFORMED);

    Pkt short_ip = { 0 };
    pkt_ipv4(&short_ip, 6, 12);               /* IP says the TCP header is 12 bytes */
    pkt_tcp(&short_ip, 1, 2, 0x02, 0);
    assert_skip(DLT_RAW, short_ip.data, short_ip.len, PTL_SKIP_L4_MALFORMED);
}

static void
test_decode_udp_fields(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlDecoded out;

    /* UDP length shorter than the IP payload: the rest is not UDP payload */
    Pkt p = { 0 };
    pkt_ipv4(&p, 17, 8 + 10);
    pkt_udp(&p, 137, 137, 4);
    pkt_payload(&p, 10);
    assert_int_equal(decode(dec, DLT_RAW, p.data, p.len, &out), PTL_DECODE_OK);
    assert_int_equal(out.tuple.proto, 17);
    assert_int_equal(out.tuple.sport, 137);
    assert_int_equal(out.payload_len, 4);
    assert_int_equal(out.payload_wire_len, 4);

    /* snaplen-cut: present < claimed */
    assert_int_equal(decode_cut(dec, DLT_RAW, p.data, 20 + 8 + 2, p.len, &out), PTL_DECODE_OK);
    assert_int_equal(out.payload_len, 2);
    assert_int_equal(out.payload_wire_len, 4);

    Pkt longer = p;                           /* UDP length beyond the IP payload */
    longer.data[20 + 4] = 0xfd;
    assert_skip(DLT_RAW, longer.data, longer.len, PTL_SKIP_L4_MALFORMED);

    Pkt shorter = p;                          /* below its own header */
    shorter.data[20 + 5] = 7;
    assert_skip(DLT_RAW, shorter.data, shorter.len, PTL_SKIP_L4_MALFORMED);
}

/* Cuts a valid packet at every length: the layer the cut falls in names the
 * skip; a cut in the payload still decodes, with fewer bytes present. */
static void
check_truncations(int linktype, const guint8 *data, gsize len, gsize link_end, gsize ip_end,
                  gsize l4_end)
{
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    guint64 n_skipped = 0;

    for (gsize cut = 0; cut <= len; cut++) {
        g_autofree guint8 *copy = g_memdup2(data, cut);  /* ASan sees any overread */
        PtlDecoded out;
        PtlDecodeResult result = decode_cut(dec, linktype, copy, cut, len, &out);
        PtlSkipReason expected = cut < link_end ? PTL_SKIP_LINK_TRUNCATED
                                 : cut < ip_end ? PTL_SKIP_IP_TRUNCATED
                                 : cut < l4_end ? PTL_SKIP_L4_TRUNCATED
                                                : PTL_SKIP_NONE;
        if (expected == PTL_SKIP_NONE) {
            assert_int_equal(result, PTL_DECODE_OK);
            assert_int_equal(out.payload_len, cut - l4_end);
            assert_int_equal(out.payload_wire_len, len - l4_end);
            continue;
        }
        assert_int_equal(result, PTL_DECODE_SKIPPED);
        assert_string_equal(ptl_skip_reason_name(out.skip), ptl_skip_reason_name(expected));
        n_skipped++;
    }
    guint64 counted = 0;
    for (guint i = 0; i < PTL_SKIP_COUNT; i++)
        counted += ptl_decoder_skip_counts(dec)[i];
    assert_int_equal(counted, n_skipped);
}

static void
test_decode_truncation_every_byte(void **state)
{
    (void) state;
    Pkt vlan_tcp = { 0 };
    pkt_ethernet(&vlan_tcp, 0x8100);
    pkt_tag(&vlan_tcp, 7, 0x0800);
    pkt_ipv4(&vlan_tcp, 6, 32 + 9);
    pkt_tcp(&vlan_tcp, 1, 2, 0x18, 3);
    pkt_payload(&vlan_tcp, 9);
    check_truncations(DLT_EN10MB, vlan_tcp.data, vlan_tcp.len, 18, 38, 70);

    Pkt ext_udp = { 0 };
    pkt_ethernet(&ext_udp, 0x86dd);
    pkt_ipv6(&ext_udp, 0, 16 + 8 + 5);
    pkt_ext(&ext_udp, 17, 1);
    pkt_udp(&ext_udp, 53, 53, 5);
    pkt_payload(&ext_udp, 5);
    check_truncations(DLT_EN10MB, ext_udp.data, ext_udp.len, 14, 14 + 40 + 16,
                      14 + 40 + 16 + 8);

    check_truncations(DLT_EN10MB, mpls_1, sizeof mpls_1, 18, 38, 62);
    check_truncations(DLT_EN10MB, qinqinq_1, sizeof qinqinq_1, 26, 46, 90);
    check_truncations(DLT_LINUX_SLL, sll_1, sizeof sll_1, 16, 36, 76);
    check_truncations(DLT_LINUX_SLL2, sll2_1, sizeof sll2_1, 20, 40, 80);
    check_truncations(DLT_NFLOG, nflog_1, sizeof nflog_1, 48, 68, 108);
    check_truncations(DLT_NULL, null_1, sizeof null_1, 4, 24, 68);
}

/* ---- ICMP --------------------------------------------------------------- */

static void
pkt_icmp_header(Pkt *p, guint8 type, guint8 code)
{
    pkt_u8(p, type);
    pkt_u8(p, code);
    pkt_be16(p, 0);
    pkt_be32(p, 0);
}

/* 10.0.0.2:40000 -> 198.51.100.7:443 SYN as a router quotes it back */
static void
pkt_icmp4_error(Pkt *p, guint8 type, guint8 code, guint8 quoted_proto, gsize quoted_l4)
{
    pkt_ipv4_addrs(p, "192.0.2.1", "10.0.0.2", 1, (guint16) (8 + 20 + quoted_l4));
    pkt_icmp_header(p, type, code);
    pkt_ipv4_addrs(p, "10.0.0.2", "198.51.100.7", quoted_proto, 20);
    Pkt syn = { 0 };
    pkt_tcp(&syn, 40000, 443, 0x02, 0);
    pkt_bytes(p, syn.data, quoted_l4);
}

static void
test_decode_icmp_unreachable_v4(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlDecoded out;

    static const guint8 types[] = { 3, 11 };
    for (guint i = 0; i < G_N_ELEMENTS(types); i++) {
        Pkt p = { 0 };
        pkt_icmp4_error(&p, types[i], 1, 6, 8);
        assert_int_equal(decode(dec, DLT_RAW, p.data, p.len, &out), PTL_DECODE_OK);
        assert_true(out.is_icmp_error);
        assert_int_equal(out.icmp_type, types[i]);
        assert_int_equal(out.icmp_code, 1);
        assert_int_equal(out.ip_proto, 1);
        assert_tuple(&out.tuple, "192.0.2.1", 0, "10.0.0.2", 0);
        assert_tuple(&out.quoted, "10.0.0.2", 40000, "198.51.100.7", 443);
        assert_int_equal(out.quoted.proto, 6);
    }

    Pkt echo = { 0 };
    pkt_ipv4(&echo, 1, 8);
    pkt_icmp_header(&echo, 8, 0);
    assert_skip(DLT_RAW, echo.data, echo.len, PTL_SKIP_ICMP_OTHER);

    Pkt about_gre = { 0 };
    pkt_icmp4_error(&about_gre, 3, 2, 47, 8);
    assert_skip(DLT_RAW, about_gre.data, about_gre.len, PTL_SKIP_ICMP_OTHER);

    Pkt short_quote = { 0 };
    pkt_icmp4_error(&short_quote, 3, 3, 6, 4);
    assert_skip(DLT_RAW, short_quote.data, short_quote.len, PTL_SKIP_L4_TRUNCATED);

    Pkt bad_quote = { 0 };
    pkt_icmp4_error(&bad_quote, 3, 3, 6, 8);
    bad_quote.data[28] = 0x43;                /* quoted IHL 3 */
    assert_skip(DLT_RAW, bad_quote.data, bad_quote.len, PTL_SKIP_L4_MALFORMED);
}

static void
test_decode_icmp_unreachable_v6(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlDecoded out;

    /* the quoted SYN carries a destination options header */
    Pkt p = { 0 };
    pkt_ipv6_addrs(&p, "2001:db8::ff", "2001:db8::1", 58, 8 + 40 + 8 + 8);
    pkt_icmp_header(&p, 1, 4);
    pkt_ipv6_addrs(&p, "2001:db8::1", "2001:db8::2", 60, 8 + 20);
    pkt_ext(&p, 6, 0);
    Pkt syn = { 0 };
    pkt_tcp(&syn, 50000, 22, 0x02, 0);
    pkt_bytes(&p, syn.data, 8);
    assert_int_equal(decode(dec, DLT_RAW, p.data, p.len, &out), PTL_DECODE_OK);
    assert_true(out.is_icmp_error);
    assert_int_equal(out.icmp_type, 1);
    assert_int_equal(out.icmp_code, 4);
    assert_int_equal(out.ip_proto, 58);
    assert_tuple(&out.tuple, "2001:db8::ff", 0, "2001:db8::1", 0);
    assert_tuple(&out.quoted, "2001:db8::1", 50000, "2001:db8::2", 22);
    assert_int_equal(out.quoted.proto, 6);

    Pkt echo = { 0 };
    pkt_ipv6(&echo, 58, 8);
    pkt_icmp_header(&echo, 128, 0);
    assert_skip(DLT_RAW, echo.data, echo.len, PTL_SKIP_ICMP_OTHER);
}

static void
test_decode_skip_reason_names(void **state)
{
    (void) state;
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < PTL_SKIP_COUNT; i++) {
        const char *name = ptl_skip_reason_name(i);
        assert_non_null(name);
        assert_true(g_hash_table_add(seen, (gpointer) name));
    }
    assert_string_equal(ptl_skip_reason_name(PTL_SKIP_LINK_TRUNCATED), "link_truncated");
    assert_string_equal(ptl_skip_reason_name(PTL_SKIP_FRAGMENT_DROPPED), "fragment_dropped");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_ethernet_tcp),
        cmocka_unit_test(test_decode_vlan_8021q),
        cmocka_unit_test(test_decode_qinq),
        cmocka_unit_test(test_decode_three_tags_real),
        cmocka_unit_test(test_decode_mpls_real),
        cmocka_unit_test(test_decode_mpls_stack_and_pseudowire),
        cmocka_unit_test(test_decode_sll_real),
        cmocka_unit_test(test_decode_sll2_real),
        cmocka_unit_test(test_decode_raw_ipv4),
        cmocka_unit_test(test_decode_raw_ipv6),
        cmocka_unit_test(test_decode_null_both_orders),
        cmocka_unit_test(test_decode_loop),
        cmocka_unit_test(test_decode_nflog),
        cmocka_unit_test(test_decode_not_ip),
        cmocka_unit_test(test_decode_unsupported_linktype),
        cmocka_unit_test(test_decode_ipv6_ext_headers),
        cmocka_unit_test(test_decode_ipv6_atomic_fragment),
        cmocka_unit_test(test_decode_ipv4_malformed_header),
        cmocka_unit_test(test_decode_ipv4_tso_length),
        cmocka_unit_test(test_decode_other_l4),
        cmocka_unit_test(test_decode_tcp_fields),
        cmocka_unit_test(test_decode_udp_fields),
        cmocka_unit_test(test_decode_truncation_every_byte),
        cmocka_unit_test(test_decode_icmp_unreachable_v4),
        cmocka_unit_test(test_decode_icmp_unreachable_v6),
        cmocka_unit_test(test_decode_skip_reason_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
