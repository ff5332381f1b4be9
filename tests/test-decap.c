/* test-decap.c: tunnel and framing decoders (ptl-decap-*.c) through the whole
 * decode path: each wraps one TCP segment, gives it back with its tunnel, and
 * is cut at every byte; nesting, tenants and configured ports. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pcap/dlt.h>
#include <string.h>

#include "ptl-decap.h"
#include "ptl-decode.h"
#include "ptl-flow.h"

#define TEST_INNER_SPORT 40000u
#define TEST_INNER_DPORT 5672u
#define TEST_PAYLOAD     10u

/* ---- builders: each wraps what it is given ------------------------------ */

static void
put_be16(GByteArray *b, guint16 v)
{
    guint8 x[2] = { (guint8) (v >> 8), (guint8) v };
    g_byte_array_append(b, x, 2);
}

static void
put_be32(GByteArray *b, guint32 v)
{
    put_be16(b, (guint16) (v >> 16));
    put_be16(b, (guint16) v);
}

static void
put_addr(GByteArray *b, const char *text)
{
    PtlAddr a;
    assert_true(ptl_addr_parse(text, &a));
    g_byte_array_append(b, a.bytes, a.family == 6 ? 16 : 4);
}

/* transfer full: header + inner, inner freed */
static GByteArray *
wrap(GByteArray *header, GByteArray *inner)
{
    g_byte_array_append(header, inner->data, inner->len);
    g_byte_array_unref(inner);
    return header;
}

static GByteArray *
tcp_segment(guint16 sport, guint16 dport)
{
    GByteArray *b = g_byte_array_new();
    put_be16(b, sport);
    put_be16(b, dport);
    put_be32(b, 1000);
    put_be32(b, 0);
    put_be16(b, 0x5018);                       /* 20 bytes, PSH ACK */
    put_be16(b, 512);
    put_be32(b, 0);
    for (guint i = 0; i < TEST_PAYLOAD; i++)
        g_byte_array_append(b, (const guint8 *) "x", 1);
    return b;
}

static GByteArray *
ipv4(const char *src, const char *dst, guint8 proto, GByteArray *payload)
{
    GByteArray *b = g_byte_array_new();
    put_be16(b, 0x4500);
    put_be16(b, (guint16) (20 + payload->len));
    put_be32(b, 0x00014000);                   /* id 1, DF */
    put_be16(b, (guint16) (64 << 8 | proto));
    put_be16(b, 0);
    put_addr(b, src);
    put_addr(b, dst);
    return wrap(b, payload);
}

static GByteArray *
ipv6(const char *src, const char *dst, guint8 next, GByteArray *payload)
{
    GByteArray *b = g_byte_array_new();
    put_be32(b, 0x60000000);
    put_be16(b, (guint16) payload->len);
    put_be16(b, (guint16) (next << 8 | 64));
    put_addr(b, src);
    put_addr(b, dst);
    return wrap(b, payload);
}

static GByteArray *
udp(guint16 sport, guint16 dport, GByteArray *payload)
{
    GByteArray *b = g_byte_array_new();
    put_be16(b, sport);
    put_be16(b, dport);
    put_be16(b, (guint16) (8 + payload->len));
    put_be16(b, 0);
    return wrap(b, payload);
}

static GByteArray *
ethernet(guint16 type, GByteArray *payload)
{
    static const guint8 macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
    GByteArray *b = g_byte_array_new();
    g_byte_array_append(b, macs, sizeof macs);
    put_be16(b, type);
    return wrap(b, payload);
}

static GByteArray *
raw(const guint8 *bytes, gsize n, GByteArray *payload)
{
    GByteArray *b = g_byte_array_new();
    g_byte_array_append(b, bytes, (guint) n);
    return wrap(b, payload);
}

/* The inner packet every case carries: 10.0.0.1:40000 -> 10.0.0.2:5672 */
static GByteArray *
inner_ip(void)
{
    return ipv4("10.0.0.1", "10.0.0.2", 6, tcp_segment(TEST_INNER_SPORT, TEST_INNER_DPORT));
}

static GByteArray *
inner_frame(void)
{
    return ethernet(0x0800, inner_ip());
}

static GByteArray *
underlay_udp(guint16 dport, GByteArray *payload)
{
    return ethernet(0x0800, ipv4("192.0.2.1", "192.0.2.2", 17, udp(51000, dport, payload)));
}

static GByteArray *
underlay_ip(guint8 proto, GByteArray *payload)
{
    return ethernet(0x0800, ipv4("192.0.2.1", "192.0.2.2", proto, payload));
}

/* ---- cases -------------------------------------------------------------- */

static const guint8 vxlan_42[] = { 0x08, 0, 0, 0, 0, 0, 42, 0 };
static const guint8 geneve_7_opt[] = { 0x02, 0, 0x65, 0x58, 0, 0, 7, 0,   /* 8 option bytes */
                                       0x01, 0x03, 0x01, 0x01, 0, 0, 0, 42 };
static const guint8 gre_csum_key_seq[] = { 0xb0, 0, 0x65, 0x58, 0, 0, 0, 0, 0, 0, 0, 9,
                                           0, 0, 0, 1 };
static const guint8 gre_ipv4[] = { 0, 0, 0x08, 0x00 };
static const guint8 erspan1[] = { 0, 0, 0x88, 0xbe };
static const guint8 erspan2[] = { 0x10, 0, 0x88, 0xbe, 0, 0, 0, 1,
                                  0x10, 0x05, 0x00, 0x0c, 0, 0, 0, 0 };     /* session 12 */
static const guint8 erspan3[] = { 0x10, 0, 0x22, 0xeb, 0, 0, 0, 1,
                                  0x20, 0x05, 0x00, 0x0d, 0, 0, 0, 0, 0, 0, 0x00, 0x01,
                                  1, 2, 3, 4, 5, 6, 7, 8 };                 /* + platform */
static const guint8 gtpu_ext[] = { 0x34, 0xff, 0, 0, 0, 0, 0, 5,          /* length patched */
                                   0, 1, 0, 0x85, 1, 0x10, 0x01, 0 };       /* PDU session ext */
static const guint8 teredo_origin[] = { 0, 0, 0xf0, 0x0f, 1, 2, 3, 4 };
static const guint8 ayiya_fwd[] = { 0x41, 0x52, 0x11, 41, 0, 0, 0, 0,      /* id 16 B, sig 20 B */
                                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                    0, 0, 0, 0 };
static const guint8 pppoe_ipv4[] = { 0x11, 0, 0x12, 0x34, 0, 0, 0, 0x21 }; /* length patched */
static const guint8 pbb_itag[] = { 0, 0x01, 0x00, 0x2a, 2, 0, 0, 0, 0, 3, 2, 0, 0, 0, 0, 4 };
static const guint8 mpls_bottom[] = { 0, 0x01, 0x01, 0x40 };
static const guint8 chdlc_ipv4[] = { 0x0f, 0, 0x08, 0x00 };
static const guint8 ppp_ipv4[] = { 0xff, 0x03, 0x00, 0x21 };
/* radiotap (8 bytes, no fields), QoS data to the AP, LLC/SNAP IPv4 */
static const guint8 radiotap_qos_snap[] = { 0, 0, 8, 0, 0, 0, 0, 0,
                                            0x88, 0x01, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2,
                                            3, 3, 3, 3, 3, 3, 0x10, 0, 0, 0,
                                            0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00 };
/* plain data from the AP, LLC/SNAP IPv4 */
static const guint8 wifi_data_snap[] = { 0x08, 0x02, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2,
                                         3, 3, 3, 3, 3, 3, 0x10, 0,
                                         0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00 };

typedef struct {
    const char    *name;
    int            linktype;
    PtlTunnelType  type;       /* NONE: a framing */
    gboolean       has_id;
    guint32        id;
    gboolean       is_ipv6_inner;
} DecapCase;

static void
patch_be16(GByteArray *b, gsize at, gsize value)
{
    b->data[at] = (guint8) (value >> 8);
    b->data[at + 1] = (guint8) value;
}

static GByteArray *
inner_ipv6(void)
{
    return ipv6("2001:db8::1", "2001:db8::2", 6, tcp_segment(TEST_INNER_SPORT, TEST_INNER_DPORT));
}

/* transfer full: the frame of case i */
static GByteArray *
build_case(guint i)
{
    GByteArray *b;
    switch (i) {
    case 0:
        return underlay_udp(4789, raw(vxlan_42, sizeof vxlan_42, inner_frame()));
    case 1:
        return underlay_udp(8472, raw(vxlan_42, sizeof vxlan_42, inner_frame()));
    case 2:
        return underlay_udp(6081, raw(geneve_7_opt, sizeof geneve_7_opt, inner_frame()));
    case 3:
        return underlay_ip(47, raw(gre_csum_key_seq, sizeof gre_csum_key_seq, inner_frame()));
    case 4:
        return underlay_ip(47, raw(gre_ipv4, sizeof gre_ipv4, inner_ip()));
    case 5:
        return underlay_ip(47, raw(erspan1, sizeof erspan1, inner_frame()));
    case 6:
        return underlay_ip(47, raw(erspan2, sizeof erspan2, inner_frame()));
    case 7:
        return underlay_ip(47, raw(erspan3, sizeof erspan3, inner_frame()));
    case 8:
        return underlay_ip(4, inner_ip());
    case 9:
        return underlay_ip(41, inner_ipv6());
    case 10:
        b = raw(gtpu_ext, sizeof gtpu_ext, inner_ip());
        patch_be16(b, 2, b->len - 8);
        return underlay_udp(2152, b);
    case 11:
        return underlay_udp(3544, raw(teredo_origin, sizeof teredo_origin, inner_ipv6()));
    case 12:
        return underlay_udp(5072, raw(ayiya_fwd, sizeof ayiya_fwd, inner_ipv6()));
    case 13:
        b = raw(pppoe_ipv4, sizeof pppoe_ipv4, inner_ip());
        patch_be16(b, 4, b->len - 6);
        return ethernet(0x8864, b);
    case 14:
        return ethernet(0x88e7, raw(pbb_itag, sizeof pbb_itag,
                                    g_byte_array_append(g_byte_array_new(),
                                                        (const guint8 *) "\x08\x00", 2)));
    case 15:
        return underlay_udp(6635, raw(mpls_bottom, sizeof mpls_bottom, inner_ip()));
    case 16:
        return raw(chdlc_ipv4, sizeof chdlc_ipv4, inner_ip());
    case 17:
        return raw(ppp_ipv4, sizeof ppp_ipv4, inner_ip());
    case 18:
        return raw(radiotap_qos_snap, sizeof radiotap_qos_snap, inner_ip());
    case 19:
    default:
        return raw(wifi_data_snap, sizeof wifi_data_snap, inner_ip());
    }
}

static const DecapCase decap_cases[] = {
    { "vxlan", DLT_EN10MB, PTL_TUNNEL_VXLAN, TRUE, 42, FALSE },
    { "vxlan-8472", DLT_EN10MB, PTL_TUNNEL_VXLAN, TRUE, 42, FALSE },
    { "geneve", DLT_EN10MB, PTL_TUNNEL_GENEVE, TRUE, 7, FALSE },
    { "gre-bridging", DLT_EN10MB, PTL_TUNNEL_GRE, TRUE, 9, FALSE },
    { "gre-ipv4", DLT_EN10MB, PTL_TUNNEL_GRE, FALSE, 0, FALSE },
    { "erspan-1", DLT_EN10MB, PTL_TUNNEL_ERSPAN, FALSE, 0, FALSE },
    { "erspan-2", DLT_EN10MB, PTL_TUNNEL_ERSPAN, TRUE, 12, FALSE },
    { "erspan-3", DLT_EN10MB, PTL_TUNNEL_ERSPAN, TRUE, 13, FALSE },
    { "ip-in-ip", DLT_EN10MB, PTL_TUNNEL_IPIP, FALSE, 0, FALSE },
    { "ipv6-in-ipv4", DLT_EN10MB, PTL_TUNNEL_IPIP, FALSE, 0, TRUE },
    { "gtp-u", DLT_EN10MB, PTL_TUNNEL_GTPU, TRUE, 5, FALSE },
    { "teredo", DLT_EN10MB, PTL_TUNNEL_TEREDO, FALSE, 0, TRUE },
    { "ayiya", DLT_EN10MB, PTL_TUNNEL_AYIYA, FALSE, 0, TRUE },
    { "pppoe", DLT_EN10MB, PTL_TUNNEL_NONE, FALSE, 0, FALSE },
    { "pbb", DLT_EN10MB, PTL_TUNNEL_NONE, FALSE, 0, FALSE },
    { "mpls-udp", DLT_EN10MB, PTL_TUNNEL_MPLS_UDP, FALSE, 0, FALSE },
    { "chdlc", DLT_C_HDLC, PTL_TUNNEL_NONE, FALSE, 0, FALSE },
    { "ppp", DLT_PPP, PTL_TUNNEL_NONE, FALSE, 0, FALSE },
    { "radiotap-802.11-qos", DLT_IEEE802_11_RADIO, PTL_TUNNEL_NONE, FALSE, 0, FALSE },
    { "802.11", DLT_IEEE802_11, PTL_TUNNEL_NONE, FALSE, 0, FALSE },
};

/* The PBB case carries its customer frame in the I-TAG's trailing bytes: put the
 * inner IP after them. */
static GByteArray *
build(guint i)
{
    GByteArray *b = build_case(i);
    if (i == 14)
        b = wrap(b, inner_ip());
    return b;
}

static PtlDecodeResult
decode_bytes(PtlDecoder *dec, int linktype, const guint8 *data, gsize caplen, gsize wirelen,
             PtlDecoded *out)
{
    PtlPacket pkt = { 1000, (guint32) caplen, (guint32) wirelen, data, linktype, 0, 1 };
    return ptl_decode_packet(dec, &pkt, out);
}

static gboolean
is_truncation(PtlSkipReason reason)
{
    return reason == PTL_SKIP_LINK_TRUNCATED || reason == PTL_SKIP_IP_TRUNCATED
           || reason == PTL_SKIP_L4_TRUNCATED || reason == PTL_SKIP_TUNNEL_TRUNCATED;
}

static void
test_decap_each_gives_inner_flow(void **state)
{
    (void) state;
    for (guint i = 0; i < G_N_ELEMENTS(decap_cases); i++) {
        const DecapCase *k = &decap_cases[i];
        g_autoptr(GByteArray) frame = build(i);
        g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
        PtlDecoded d;
        PtlDecodeResult result = decode_bytes(dec, k->linktype, frame->data, frame->len,
                                              frame->len, &d);
        if (result != PTL_DECODE_OK)
            fail_msg("%s: skipped (%s)", k->name, ptl_skip_reason_name(d.skip));
        assert_int_equal(d.tuple.proto, 6);
        assert_int_equal(d.tuple.sport, TEST_INNER_SPORT);
        assert_int_equal(d.tuple.dport, TEST_INNER_DPORT);
        assert_int_equal(d.tuple.src.family, k->is_ipv6_inner ? 6 : 4);
        assert_int_equal(d.payload_len, TEST_PAYLOAD);
        if (k->type == PTL_TUNNEL_NONE) {
            assert_null(d.tunnel);
            continue;
        }
        assert_non_null(d.tunnel);
        assert_string_equal(ptl_tunnel_type_name(d.tunnel->type), ptl_tunnel_type_name(k->type));
        assert_int_equal(d.tunnel->has_key, k->has_id);
        assert_int_equal(d.tunnel->key, k->id);
        assert_int_equal(d.tunnel->depth, 1);
        char text[PTL_ADDR_STRLEN];
        assert_string_equal(ptl_addr_to_string(&d.tunnel->outer_src, text), "192.0.2.1");
        assert_true(d.inner_wirelen < frame->len);
        assert_int_equal(ptl_decoder_tunnels(dec)->len, 1);
    }
}

/* Every cut inside the headers is a truncation (never malformed, never a crash);
 * a cut in the payload still gives the flow. */
static void
test_decap_truncated_at_every_offset(void **state)
{
    (void) state;
    for (guint i = 0; i < G_N_ELEMENTS(decap_cases); i++) {
        const DecapCase *k = &decap_cases[i];
        g_autoptr(GByteArray) frame = build(i);
        g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
        for (gsize cut = 0; cut < frame->len; cut++) {
            guint8 *copy = g_memdup2(frame->data, cut);  /* ASan sees every overread */
            PtlDecoded d;
            PtlDecodeResult result = decode_bytes(dec, k->linktype, copy, cut, frame->len, &d);
            if (result == PTL_DECODE_OK) {
                assert_true(cut >= frame->len - TEST_PAYLOAD);
                assert_true(d.payload_len < TEST_PAYLOAD);
            } else if (!is_truncation(d.skip)) {
                fail_msg("%s cut at %zu: %s", k->name, cut, ptl_skip_reason_name(d.skip));
            }
            g_free(copy);
        }
    }
}

static void
assert_frame_skip(GByteArray *frame, PtlSkipReason reason)
{
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlDecoded d;
    assert_int_equal(decode_bytes(dec, DLT_EN10MB, frame->data, frame->len, frame->len, &d),
                     PTL_DECODE_SKIPPED);
    assert_string_equal(ptl_skip_reason_name(d.skip), ptl_skip_reason_name(reason));
    assert_int_equal(ptl_decoder_skip_counts(dec)[reason], 1);
    g_byte_array_unref(frame);
}

static void
test_decap_malformed_headers(void **state)
{
    (void) state;
    static const guint8 vxlan_no_vni[] = { 0x00, 0, 0, 0, 0, 0, 42, 0 };
    static const guint8 geneve_v1[] = { 0x40, 0, 0x65, 0x58, 0, 0, 7, 0 };
    static const guint8 gre_v2[] = { 0, 2, 0x08, 0x00 };
    static const guint8 gre_routing[] = { 0x40, 0, 0x08, 0x00, 0, 0, 0, 0 };
    static const guint8 erspan2_bad_version[] = { 0x10, 0, 0x88, 0xbe, 0, 0, 0, 1,
                                                  0x30, 0, 0, 1, 0, 0, 0, 0 };
    static const guint8 gtp_v2[] = { 0x48, 0xff, 0, 40, 0, 0, 0, 1 };
    static const guint8 teredo_bad[] = { 0x00, 0x05, 0, 0 };
    static const guint8 ayiya_huge_id[] = { 0xf1, 0x52, 0x11, 41, 0, 0, 0, 0 };
    assert_frame_skip(underlay_udp(4789, raw(vxlan_no_vni, 8, inner_frame())),
                      PTL_SKIP_TUNNEL_MALFORMED);
    assert_frame_skip(underlay_udp(6081, raw(geneve_v1, 8, inner_frame())),
                      PTL_SKIP_TUNNEL_MALFORMED);
    assert_frame_skip(underlay_ip(47, raw(gre_v2, 4, inner_ip())), PTL_SKIP_TUNNEL_MALFORMED);
    assert_frame_skip(underlay_ip(47, raw(gre_routing, 8, inner_ip())),
                      PTL_SKIP_TUNNEL_MALFORMED);
    assert_frame_skip(underlay_ip(47, raw(erspan2_bad_version, 16, inner_frame())),
                      PTL_SKIP_TUNNEL_MALFORMED);
    assert_frame_skip(underlay_udp(2152, raw(gtp_v2, 8, inner_ip())), PTL_SKIP_TUNNEL_MALFORMED);
    assert_frame_skip(underlay_udp(3544, raw(teredo_bad, 4, inner_ipv6())),
                      PTL_SKIP_TUNNEL_MALFORMED);
    assert_frame_skip(underlay_udp(5072, raw(ayiya_huge_id, 8, inner_ipv6())),
                      PTL_SKIP_TUNNEL_MALFORMED);
}

/* A GTP-U extension chain that runs past the message's own length is malformed,
 * one cut by the capture is truncated. */
static void
test_decap_gtpu_length_bounds(void **state)
{
    (void) state;
    static const guint8 gtp[] = { 0x34, 0xff, 0, 4, 0, 0, 0, 5, 0, 1, 0, 0x85, 4, 0, 0, 0 };
    PtlCursor c = ptl_cursor_init(gtp, sizeof gtp);
    PtlDecap out = { 0 };
    assert_int_equal(ptl_decap_gtpu(&c, &out), PTL_DECAP_MALFORMED);
    static const guint8 echo[] = { 0x30, 0x01, 0, 0, 0, 0, 0, 0 };
    c = ptl_cursor_init(echo, sizeof echo);
    assert_int_equal(ptl_decap_gtpu(&c, &out), PTL_DECAP_OK);
    assert_int_equal(out.inner, PTL_DECAP_NOT_DATA);
}

static GByteArray *
nested_ipip(guint levels)
{
    GByteArray *b = inner_ip();
    for (guint i = 0; i < levels; i++)
        b = ipv4("192.0.2.1", "192.0.2.2", 4, b);
    return ethernet(0x0800, b);
}

/* Four levels are opened; a fifth, or a hundred, stop at the fifth header. */
static void
test_decap_depth_cap(void **state)
{
    (void) state;
    g_autoptr(GByteArray) four = nested_ipip(PTL_TUNNEL_MAX_DEPTH);
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlDecoded d;
    assert_int_equal(decode_bytes(dec, DLT_EN10MB, four->data, four->len, four->len, &d),
                     PTL_DECODE_OK);
    assert_int_equal(d.tunnel->depth, PTL_TUNNEL_MAX_DEPTH);
    assert_int_equal(d.tuple.dport, TEST_INNER_DPORT);

    g_autoptr(GByteArray) bomb = nested_ipip(100);
    g_autoptr(PtlDecoder) dec2 = ptl_decoder_new(NULL);
    assert_int_equal(decode_bytes(dec2, DLT_EN10MB, bomb->data, bomb->len, bomb->len, &d),
                     PTL_DECODE_SKIPPED);
    assert_int_equal(d.skip, PTL_SKIP_TUNNEL_TOO_DEEP);
    assert_int_equal(ptl_decoder_skip_counts(dec2)[PTL_SKIP_TUNNEL_TOO_DEEP], 1);
    assert_int_equal(ptl_decoder_tunnels(dec2)->len, PTL_TUNNEL_MAX_DEPTH);
}

static GByteArray *
vxlan_frame(guint32 vni, gboolean is_reply)
{
    guint8 header[8] = { 0x08, 0, 0, 0, (guint8) (vni >> 16), (guint8) (vni >> 8), (guint8) vni,
                         0 };
    GByteArray *seg = is_reply ? tcp_segment(TEST_INNER_DPORT, TEST_INNER_SPORT)
                               : tcp_segment(TEST_INNER_SPORT, TEST_INNER_DPORT);
    GByteArray *ip = is_reply ? ipv4("10.0.0.2", "10.0.0.1", 6, seg)
                              : ipv4("10.0.0.1", "10.0.0.2", 6, seg);
    GByteArray *payload = raw(header, sizeof header, ethernet(0x0800, ip));
    const char *a = is_reply ? "192.0.2.2" : "192.0.2.1", *b = is_reply ? "192.0.2.1" : "192.0.2.2";
    return ethernet(0x0800, ipv4(a, b, 17, udp(is_reply ? 52000 : 51000, 4789, payload)));
}

/* Two tenants with the same inner addresses are two flows; the replies of one
 * (outer endpoints swapped, another source port) are the same flow. */
static void
test_decap_tenants_never_merge(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlFlowConfig cfg = { 0 };
    PtlFlowTable *table = ptl_flow_table_new(&cfg);
    const struct { guint32 vni; gboolean is_reply; } packets[] = {
        { 100, FALSE }, { 200, FALSE }, { 100, TRUE }, { 200, TRUE },
    };
    PtlFlow *flows[4];
    for (guint i = 0; i < G_N_ELEMENTS(packets); i++) {
        g_autoptr(GByteArray) frame = vxlan_frame(packets[i].vni, packets[i].is_reply);
        PtlDecoded d;
        assert_int_equal(decode_bytes(dec, DLT_EN10MB, frame->data, frame->len, frame->len, &d),
                         PTL_DECODE_OK);
        PtlDirection dir;
        flows[i] = ptl_flow_table_packet(table, &d, 1000 + i, frame->len, &dir);
        assert_int_equal(dir, packets[i].is_reply ? PTL_DIR_TO_CLIENT : PTL_DIR_TO_SERVER);
    }
    assert_int_equal(ptl_flow_table_size(table), 2);
    assert_ptr_equal(flows[0], flows[2]);
    assert_ptr_equal(flows[1], flows[3]);
    assert_ptr_not_equal(flows[0], flows[1]);
    assert_int_equal(flows[0]->tunnel->key, 100);
    assert_int_equal(ptl_decoder_tunnels(dec)->len, 2);
    ptl_flow_table_free(table);
}

static void
test_decap_configured_vxlan_port(void **state)
{
    (void) state;
    g_autoptr(GByteArray) frame = underlay_udp(9999, raw(vxlan_42, sizeof vxlan_42,
                                                         inner_frame()));
    PtlDecoded d;
    g_autoptr(PtlDecoder) plain = ptl_decoder_new(NULL);
    assert_int_equal(decode_bytes(plain, DLT_EN10MB, frame->data, frame->len, frame->len, &d),
                     PTL_DECODE_OK);
    assert_null(d.tunnel);
    assert_int_equal(d.tuple.dport, 9999);
    PtlDecoderConfig cfg = { 0 };
    cfg.vxlan_ports[0] = 9999;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(&cfg);
    assert_int_equal(decode_bytes(dec, DLT_EN10MB, frame->data, frame->len, frame->len, &d),
                     PTL_DECODE_OK);
    assert_non_null(d.tunnel);
    assert_int_equal(d.tuple.dport, TEST_INNER_DPORT);
}

/* An inner IPv4 fragment of a UDP datagram (id 7): offset in 8-byte units */
static GByteArray *
vxlan_fragment(guint32 vni, guint16 offset8, gboolean has_more, guint8 fill)
{
    GByteArray *piece = g_byte_array_new();
    if (offset8 == 0) {                        /* the UDP header: 8 + 16 bytes in all */
        put_be16(piece, 53000);
        put_be16(piece, 9000);
        put_be16(piece, 24);
        put_be16(piece, 0);
    }
    for (guint i = 0; i < 8u; i++)
        g_byte_array_append(piece, &fill, 1);
    GByteArray *ip = g_byte_array_new();
    put_be16(ip, 0x4500);
    put_be16(ip, (guint16) (20 + piece->len));
    put_be16(ip, 7);
    put_be16(ip, (guint16) ((has_more ? 0x2000 : 0) | offset8));
    put_be16(ip, 64 << 8 | 17);
    put_be16(ip, 0);
    put_addr(ip, "10.0.0.1");
    put_addr(ip, "10.0.0.2");
    ip = wrap(ip, piece);
    guint8 header[8] = { 0x08, 0, 0, 0, (guint8) (vni >> 16), (guint8) (vni >> 8), (guint8) vni,
                         0 };
    return underlay_udp(4789, raw(header, sizeof header, ethernet(0x0800, ip)));
}

/* The same inner fragments (addresses, id) in two tenants reassemble apart. */
static void
test_decap_inner_fragments_per_tunnel(void **state)
{
    (void) state;
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    const struct { guint32 vni; guint16 offset8; gboolean has_more; guint8 fill; } pieces[] = {
        { 1, 0, TRUE, 'a' }, { 2, 0, TRUE, 'b' }, { 1, 2, FALSE, 'a' }, { 2, 2, FALSE, 'b' },
    };
    for (guint i = 0; i < G_N_ELEMENTS(pieces); i++) {
        g_autoptr(GByteArray) frame = vxlan_fragment(pieces[i].vni, pieces[i].offset8,
                                                     pieces[i].has_more, pieces[i].fill);
        PtlDecoded d;
        PtlDecodeResult result = decode_bytes(dec, DLT_EN10MB, frame->data, frame->len,
                                              frame->len, &d);
        if (pieces[i].has_more) {
            assert_int_equal(result, PTL_DECODE_HELD);
            continue;
        }
        assert_int_equal(result, PTL_DECODE_OK);
        assert_int_equal(d.tunnel->key, pieces[i].vni);
        assert_int_equal(d.payload_len, 16);
        for (guint k = 0; k < d.payload_len; k++)
            assert_int_equal(d.payload[k], pieces[i].fill);
    }
    assert_int_equal(ptl_decoder_skip_counts(dec)[PTL_SKIP_FRAGMENT_DROPPED], 0);
}

/* Control traffic in a tunnel carries no inner packet: counted, not a flow. */
static void
test_decap_control_is_not_ip(void **state)
{
    (void) state;
    static const guint8 gre_keepalive[] = { 0, 0, 0x88, 0x0c };
    static const guint8 ppp_lcp[] = { 0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4 };
    assert_frame_skip(underlay_ip(47, raw(gre_keepalive, 4, g_byte_array_new())),
                      PTL_SKIP_NOT_IP);
    g_autoptr(PtlDecoder) dec = ptl_decoder_new(NULL);
    PtlDecoded d;
    assert_int_equal(decode_bytes(dec, DLT_PPP, ppp_lcp, sizeof ppp_lcp, sizeof ppp_lcp, &d),
                     PTL_DECODE_SKIPPED);
    assert_int_equal(d.skip, PTL_SKIP_NOT_IP);
    guint8 wifi_protected[sizeof wifi_data_snap];
    memcpy(wifi_protected, wifi_data_snap, sizeof wifi_protected);
    wifi_protected[1] |= 0x40;                 /* encrypted: nothing readable */
    assert_int_equal(decode_bytes(dec, DLT_IEEE802_11, wifi_protected, sizeof wifi_protected,
                                  sizeof wifi_protected, &d), PTL_DECODE_SKIPPED);
    assert_int_equal(d.skip, PTL_SKIP_NOT_IP);
    static const guint8 beacon[] = { 0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    assert_int_equal(decode_bytes(dec, DLT_IEEE802_11, beacon, sizeof beacon, sizeof beacon, &d),
                     PTL_DECODE_SKIPPED);
    assert_int_equal(d.skip, PTL_SKIP_NOT_IP);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decap_each_gives_inner_flow),
        cmocka_unit_test(test_decap_truncated_at_every_offset),
        cmocka_unit_test(test_decap_malformed_headers),
        cmocka_unit_test(test_decap_gtpu_length_bounds),
        cmocka_unit_test(test_decap_depth_cap),
        cmocka_unit_test(test_decap_tenants_never_merge),
        cmocka_unit_test(test_decap_configured_vxlan_port),
        cmocka_unit_test(test_decap_control_is_not_ip),
        cmocka_unit_test(test_decap_inner_fragments_per_tunnel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
