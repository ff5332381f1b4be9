/* test-http.c: the HTTP/1.x dissector through its ABI entry point.
 *
 * The fake core of tests/dissector-harness.h feeds bytes the way the real one
 * does (unconsumed bytes are kept and presented again with the next ones) and
 * records facts.  The real fixtures are TCP payloads copied from the shared
 * captures named above each array; the tests never read those files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ptl-dissector.h"
#include "dissector-harness.h"
#include "record-checks.h"

#define TO_SERVER PTL_DIR_TO_SERVER
#define TO_CLIENT PTL_DIR_TO_CLIENT

/* A TCP payload held in a string literal or char array, its NUL left out. */
#define EVENT(dir, lit) { (dir), (const guint8 *) (lit), sizeof(lit) - 1 }

/* ---- fake core (tests/dissector-harness.h) ---- */

static const HarnessFlowConfig http_tcp = { PTL_TRANSPORT_TCP, 40000, 80 };

/* Feeds like the core; an error must name the protocol. */
static gboolean
test_feed(HarnessFlow *flow, PtlDirection dir, const void *data, gsize len)
{
    gboolean is_ok = harness_flow_feed(flow, dir, data, len);
    if (!is_ok)
        assert_non_null(strstr(flow->error->message, "http: "));
    return is_ok;
}

static gboolean
test_feed_str(HarnessFlow *flow, PtlDirection dir, const char *text)
{
    return test_feed(flow, dir, text, strlen(text));
}

/* ---- reading the emitted JSON ---- */

static JsonNode *
test_parse(const char *json)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    assert_true(json_parser_load_from_data(parser, json, -1, NULL));
    return json_node_copy(json_parser_get_root(parser));
}

/* A member by dotted path ("transactions.0.status"); NULL when absent. */
static JsonNode *
test_path(JsonNode *root, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, ".", -1);
    JsonNode *node = root;
    for (guint i = 0; parts[i] != NULL && node != NULL; i++) {
        if (JSON_NODE_HOLDS_ARRAY(node)) {
            JsonArray *a = json_node_get_array(node);
            guint index = (guint) g_ascii_strtoull(parts[i], NULL, 10);
            node = index < json_array_get_length(a) ? json_array_get_element(a, index) : NULL;
        } else if (JSON_NODE_HOLDS_OBJECT(node)) {
            node = json_object_get_member(json_node_get_object(node), parts[i]);
        } else {
            node = NULL;
        }
    }
    return node;
}

static gint64
test_int(HarnessFlow *flow, const char *path)
{
    g_autofree char *json = harness_flow_json(flow);
    g_autoptr(JsonNode) root = test_parse(json);
    JsonNode *node = test_path(root, path);
    if (node == NULL)
        fail_msg("no %s in %s", path, json);
    return json_node_get_int(node);
}

/* transfer full: the string at path, or NULL */
static char *
test_string(HarnessFlow *flow, const char *path)
{
    g_autofree char *json = harness_flow_json(flow);
    g_autoptr(JsonNode) root = test_parse(json);
    JsonNode *node = test_path(root, path);
    return node != NULL ? g_strdup(json_node_get_string(node)) : NULL;
}

static gboolean
test_has(HarnessFlow *flow, const char *path)
{
    g_autofree char *json = harness_flow_json(flow);
    g_autoptr(JsonNode) root = test_parse(json);
    return test_path(root, path) != NULL;
}

#define assert_json_string(flow, path, expected)                 \
    do {                                                         \
        g_autofree char *got_ = test_string((flow), (path));     \
        assert_non_null(got_);                                   \
        assert_string_equal(got_, (expected));                   \
    } while (0)

/* ---- fixtures from the shared captures (TCP payloads, byte for byte) ---- */

/* ndpi-http-lines-split.pcap, frame 4 (to server, 38 bytes) */
static const char lines_split_f4[] =
    "GET / HTTP/1.1\r\n"
    "Host: toni.lan:31337\r\n";
/* ndpi-http-lines-split.pcap, frame 6 (to server, 29 bytes) */
static const char lines_split_f6[] =
    "User-Agent: uclient-fetch\r\n"
    "\r\n";
/* ndpi-http-lines-split.pcap, frame 8 (to client, 17 bytes) */
static const char lines_split_f8[] =
    "HTTP/1.0 200 OK\r\n";
/* ndpi-http-lines-split.pcap, frame 9 (to client, 1460 bytes) */
static const char lines_split_f9[] =
    "Server: SimpleHTTP/0.6 Python/2.7.16\r\n"
    "Date: Thu, 02 Jul 2020 18:09:00 GMT\r\n"
    "Content-type: text/html; charset=UTF-8\r\n"
    "Content-Length: 1476\r\n"
    "\r\n"
    "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\"><html>\n"
    "<title>Directory listing for /</title>\n"
    "<body>\n"
    "<h2>Directory listing for /</h2>\n"
    "<hr>\n"
    "<ul>\n"
    "<li><a href=\".gdb_history\">.gdb_history</a>\n"
    "<li><a href=\".git/\">.git/</a>\n"
    "<li><a href=\".gitignore\">.gitignore</a>\n"
    "<li><a href=\".gitlab-ci.yml\">.gitlab-ci.yml</a>\n"
    "<li><a href=\".tarball-version\">.tarball-version</a>\n"
    "<li><a href=\".travis.yml\">.travis.yml</a>\n"
    "<li><a href=\"aclocal.m4\">aclocal.m4</a>\n"
    "<li><a href=\"AUTHORS\">AUTHORS</a>\n"
    "<li><a href=\"autogen.sh\">autogen.sh</a>\n"
    "<li><a href=\"autom4te.cache/\">autom4te.cache/</a>\n"
    "<li><a href=\"build-aux/\">build-aux/</a>\n"
    "<li><a href=\"ChangeLog\">ChangeLog</a>\n"
    "<li><a href=\"compile\">compile</a>\n"
    "<li><a href=\"config.guess\">config.guess</a>\n"
    "<li><a href=\"config.log\">config.log</a>\n"
    "<li><a href=\"config.status\">config.status</a>\n"
    "<li><a href=\"config.sub\">config.sub</a>\n"
    "<li><a href=\"configure\">configure</a>\n"
    "<li><a href=\"configure.ac\">configure.ac</a>\n"
    "<li><a href=\"COPYING\">COPYING</a>\n"
    "<li><a href=\"data/\">data/</a>\n"
    "<li><a href=\"depcomp\">depcomp</a>\n"
    "<li><a href=\"INSTALL\">INSTALL</a>\n"
    "<li><a href=\"install-sh\">install-sh</a>\n"
    "<li><a href=\"m4/\">m4/</a>\n"
    "<li><a href=\"Makefile\">Makefile</a>\n"
    "<li><a href=\"Makefile.am\">Makefile.am</a>\n"
    "<li><a href=\"Makefile.in\">Makefile.in</a>\n"
    "<li><a href=\"missing\">missing</a>\n"
    "<li><a href=\"NEWS\">NEWS</a>\n"
    "<li><a";
/* ndpi-http-lines-split.pcap, frame 10 (to client, 155 bytes) */
static const char lines_split_f10[] =
    " href=\"PKGBUILD\">PKGBUILD</a>\n"
    "<li><a href=\"README\">README</a>\n"
    "<li><a href=\"README.md\">README.md</a>\n"
    "<li><a href=\"src/\">src/</a>\n"
    "</ul>\n"
    "<hr>\n"
    "</body>\n"
    "</html>\n";
static const HarnessSegment lines_split_events[] = {
    EVENT(TO_SERVER, lines_split_f4),
    EVENT(TO_SERVER, lines_split_f6),
    EVENT(TO_CLIENT, lines_split_f8),
    EVENT(TO_CLIENT, lines_split_f9),
    EVENT(TO_CLIENT, lines_split_f10),
};

/* ndpi-http_starting_with_reply.pcapng, frame 1 (to client, 1460 bytes) */
static const char reply_first_f1[] =
    "HTTP/1.1 200 OK\r\n"
    "Date: Sat, 11 Sep 2021 16:36:50 GMT\r\n"
    "Server: Apache/2.4.41 (Ubuntu)\r\n"
    "Last-Modified: Mon, 06 Sep 2021 02:02:19 GMT\r\n"
    "ETag: \"2aa6-5cb4a09ff3b9a-gzip\"\r\n"
    "Accept-Ranges: bytes\r\n"
    "Vary: Accept-Encoding\r\n"
    "Content-Encoding: gzip\r\n"
    "Content-Length: 3138\r\n"
    "Keep-Alive: timeout=5, max=100\r\n"
    "Connection: Keep-Alive\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "\037\213\010\000\000\000\000\000\000\003\275Z\353s\3336\022\377\356\277\002U\247\323$'"
    "\221\226\223\272\262\"{&\361c\322\231\244\361$\312\335\365\223\017\"!\011c"
    "\210\340\001\240d5\355\377~\273\000H\361%\312\3115\325\304\221H\002\373\302\356o"
    "\037\322\321\344\273\253\367\227\323\337n\257\311\322\254\004\271\375\364\372\355/"
    "\227\2447\010\303\177=\277\014\303\253\351\025\371\367\233\351\273\267d"
    "\030\034\223\251\242\211\346\206\313\204\2120\274\376\265GzKc\322q\030n6\233`\363<\220j"
    "\021N\?\204\017Hk\210\233\375\307\201)\355\014b\023\367.\216&\226\341\303J$"
    "\372\274\205\314\360\354\354\314\355\206\265\204L\276\033\014\340\215\220w2\346s\316b2W"
    "rE\314\222\221+6\3434!R\361\005\007\362d.\025\3714\313\022\223\331\ro\2516$KcjX<&'"
    "\307\303\323\301p8\030\236\332\207\037\031\033\023d\256\201\273\240Y\022-S\032\007\0113"
    "\341,[\350px2\032\235\236\035\303\332\301\300\212\261d4\276\260['+f\250\335;`"
    "\377\315\370\372\274w)\023\303\0223\230nS\326#\221\273:\357\031\366`BT\344%\211\226Tif"
    "\316\?Mo\006\243\036\011=%\303\215`\027\257R\032-\331\211\227\035\324\232\323L\030rK"
    "\027 \343/\206l\244\272\327\223\320-v\033\265\331\n"
    "F\014\360\363l\"\255{d\305bN\317{:R\214%\326z\317\310g\273aE\025\330hL"
    "\216\323\207\362\337K\373\020\024\217y\262h}\372\347\021\3747\223\361\266\357\374\344su"
    "\307sXY\372{yd\037\317ht\277P2K\342A$\205Tc\362\375\325\350\352\365\365\211\177>"
    "\007\013\r\346t\305\305vL\376\311TL\023\332'\032<e\240\231\342\363\227\273U"
    "\232\377\016F\030\016S\343n\242\262\003*\370\002\224\211\300\312L\025R\306|\035\254(O"
    "\356R0\\.\250t\3167&\212\011j\370\232921\327\251\240\300\335\320\231`^\254\r\217\315rLF"
    "\307\307\205&\316n\203\2314F\256\306N\305\322}\301\346fLhfd\34568\344\262r"
    "\177\277\205\235\275\244\212\231\032x\376'9\023\177;7\341\311\360\344\347\347\243\312#"
    "\353\006c\242\245\340\361~\333\337\330\227\177~\300\200h\273;\364u\246\274\011\227\314i"
    "sv\226\313\345\345\034\036\037\377\320\301\364\247\233\323\233\237\367\322\326)Dn\3257"
    "\207\?\225\214\363\323\316:e\?\030!\313\342\346\306\2136\223\"\336\313\211\257\0265F"
    "\317K|^\324Oa\334\032\001H\324\272\312\235\234\337\371\000\327\236l$\030\205m"
    "\350\013\271\327\200\017\344\207\331p\246/\010\232\275\007\347xu\311v"
    "\307\r[\355\025\260y\202\271l/\332\035\364\200l\371\315c\373jF\352c\345\245\265\223:-Is"
    "Z;\016\277\363N\263\010#\274\345\214\377b\033\327\030\336\341\342:\036\242\371F\350V"
    "\356\275\303<e\257>v^\335\315)U\254\246\343\310[f\324\n"
    "\346#\377dT\021\245\n"
    "5\303\032\324x<\211\001\356X\334\n"
    "B\271\n"
    "\207\302\276\244\243\243\311\r\3305z\204\232\025%\013\344=p\372no&\372\373\037\n"
    "\336uX\303:\203|o\005\013+y\357\324\273\327i\227{\215\256\317._\237\324\374 "
    "\367\271\275@VK~'\?<*\371UE\276SP+}\336'\327\345\325\311\360\305M\327\366\205b"
    "\333\375\373\317n\316\236\217N\213\375\301\\HH\257\311\342\216\011\266\002\321\016\344_"
    "\273\374\013p\241\337u\3549jX\363\304,\222\212:\236\211LX\207\225\017r"
    "\035\013\236\334\367\017-Zs\320\221\305\007\327\321\010\365\3171\271\001\011\207\245Y"
    "\312u\341\211-GR\011\315\246\253u\207NU\327=KJ\232v-\253(\332V\013^^"
    "\335\\\237\356\305\306C\202~\215\031r\226%\352k\010$\350\r\244#\365\247\253\253C\213V"
    "\266\340\017\363\212\177\202\345\257\257\273a#\244S\252\241s)J\315\236{V}Z\256@"
    "\352\261Ql\200-X\235h\025\235\367B\016\352\3520\263=\300@\310\205\014\322d\321#T@'\341;"
    "\203\267p\267\227s";
/* ndpi-http_starting_with_reply.pcapng, frame 2 (to client, 1460 bytes) */
static const char reply_first_f2[] =
    "hP\rKdmy\265o\341n\035!\035\275\307\216Z\210\344\n"
    "-CP\023\2728\350\313\232j7k\244.\345K\033kp\333\202E\025\261\247\257^\277\275&\357o"
    "\310\345\373_\247\327\277N\?\226\204\265\342\265\361\330\023X\235\366\231@"
    "\247\247\330\374\274\367=\235\311\014\236\275\302\267IH/\276=Gh"
    "\032\223\005\323\275\213K\367\341\357\341\252#\011]\354\305G|\373{8\316\271\260Z\312d"
    "\316\027\304^\355g\354/\\W^\227\243^\023\266\010p\364\025\356\007\231\264*:"
    "\356\344\361y\317\373D\3152\244h\332\277{\214\361\332`\256\312.-_\271\327t\3115"
    "\201\1778\007\211}\320n\230\210\344\212\021\333\377f"
    "\032\322\277\221\220\024\265\261\253 -*\340@\032\244\340\234]\302$rnW\346\230\000\2758"
    "\"-\235\033l\243\022\r\025\234\360\013\223\0340\364V\303I\353\240A\025L\000\342\315("
    "\212\001\313\221\256\235\226P\201\325\201\025\021n\273\021N\337\315t6K\036-\355JO"
    "\334\011\322 \rw\357)\024\207\013\344\000\347\003\311&n\021`N\2662#\021\000\241\202c"
    "\004\272\260\032\371\366\241\026%+F\023\264\0365%\225\311\233\351\3646W\333+\014\342S"
    "\323 n\211a2D\021\360\250Q\232T\241)\3056 \277\001c\275\224\231\210!{\\(\226\n"
    "\0321\267\011\335{\022\316.\310\023!#\034M\265\221\237\030s"
    "\021\256\251\302\271\230\235 \205<\211\331C\200\037'!<|Jfl.\025\263\303&\236d"
    "\310\036\016\333\035%C\305UY\231\262u&aZ\216\202v\367\362\306\243\300\201B\031\245VT"
    "\240G)\347\"\2503\2339\375i\022C\277\220\374h\310}\"7p\206\326\242\336\324`\235\006i"
    "\0333}\277F\311\031@\307\266~\034\271e\243\014|61\260 K\350\232r\2018C\342\014l)"
    "\033\2041!C \321$b\255\336\200\204\221!@\001\001;i\256\215\356\223\024\232c"
    "\355\354\010uK\301\375GMh\014}<,RX$4-\270\273\332\033\331U\030i\207\220\002\344\033 "
    "\342^\016\0253\037\241\357\3410\327\234m\276\031\256\270\310\003\355s\020\310\301%"
    "\252\310\201\201\307\347s\206\247S\014d\033\304\262\024\254\307\350\252\235H"
    "\337\372\216N\005\204#\234\234\004_\005\355p\216\213\031\000|\331\360\0254@1\316u"
    "\033\244\361\250\025u(\277\341f\231C\206\221R\350\000\340\221\325$v@"
    "\325\346\220\020\241\363L\200\217\3052\3120K\000K\2364\226\205\231V\241^BH\204\2600"
    "\244\316>\341\207\353WW\357\256\003\007d\301\342w\214\355\200|``\033\013\2776"
    "\346\241\310D\307B6\r\2729W+f@\256\312\227\305N\033n\036\227\214fbnqm\3264\371\034ka2"
    "\333\022\032ELk\213\013\260\277H\266\341\212&\031\025\275\013\367\216y\226p"
    "\027\033\010:^\253\001\010eqf\017\366\202@T\227\020\322\002<\"\242G\233z\260t"
    "\373\\\363\260\004\005\3641V{P3w\305\262\021:\263\021\272'E\263\013!7z\334%\215\202b"
    "\?dfw\236G\177@]\353/\260\003\231\037\375\341\027\377\007\013\336T*\243\375}\270^\311X"
    "\017\000s\000T\342b!>x\026@\351\021W\366>\333m\303\017\215m\2655\210BM\332\245E"
    "\025\255\024\253\350\225\211\246\231\213\207\202\357\177HH\331\017,#\353\010y\255\201 ["
    "=\254.R\030\311\001\226\002if\334\376\2243\360K\210\214\005\203K\205\236\312\223Hd8V"
    "\201^G@\256F\026x\365E\\ #-\031D\271\241\n"
    "\013>\200\236Z\3344S\302\316zh\220\377\313\\;\257(\214E\305\206n\265W\256\364\255U"
    "\027\251\246qw\026\004\222yI\0273\300>\310M\314\252( E1k0+E+Z\226^ \220\\y\363&.3h"
    "\207\304Ey\342\261\005\262\2576\322A0M\266\200\306-y\365/2\342eCi4]\001K\3450"
    "\013\255\211\373\207\216\244\034bn\213U\022\037U\"\313\?\2139\026\307Rq`lk\201\226\014P"
    "z\245\350fQ&\250\252\247\231\204\247)3\332\027\263\200\262\210\226 \177\006*\365\311B@"
    "\301#\276\300\265\025]`6\200\255\200\205k\256\014\2006YJ]\313\245\360\\1\2352;y\201\n"
    "\364[\235\023@\365\326U\205\310\311\226\257\020\301z\273\302\351\221\r\341\274J"
    "\353\242\322tq]\304\007W%M\272\210<\033\024\274B\240\230aA\200\307\342\262\?\224t"
    "\276\000\2371\177\n"
    "q\0275\320\"\263\331\022+\347%\023X \036r\261\256\347\366EOX\002G\337\351\253~a"
    "\314\365\241\225\355\011\371kd\302\000x\244P\207\227\036\024\313\021K:\315\377h"
    "\321\321u\036)z-I6y\242\340\001\376\022\240\341w\3501\266\201q\265\033\000.x\232-"
    "\013\347\330\013\331J\355\033\206\030\231\361\204\252\255\355\200|\013\352\3631"
    "\271\262\275\217\005FH\007\320\216u\221b\011 \206L\354<\036\272I\216\261\002H\341\201u_"
    "Q\356\253\255\204\261\030\023u[\225Yz\331\214\0130\n"
    "\251\002\200/v\305\270\355_\261\252\202Ln\2028/\256\034\324\202AK%Fd"
    "\\G\273\337\236\304\226\350\227`\010\214OK\032Kq\260Q\225\256\203p\250\3437"
    "\034\352\210D\272\031\214\355\265\255P\007\222o\2539\016\235r\371\272\\s";
/* ndpi-http_starting_with_reply.pcapng, frame 3 (to client, 557 bytes) */
static const char reply_first_f3[] =
    "\371\266\354K\273\302R_\010\025\270\222\262m\270\344^y\237@>\300*\375("
    "\306\007\033\302\366\362\374\3656\267M\?\257\263c\011\221\201\026\246Xa\373^"
    "\003\014\254d\266X\026\205\327LA\365m\333\240f\317\305V\027PSLBxw5\007E\354v"
    "\343\005\011\216\235\017G\300W\313\303\220=\271\277ho\374\317\211\360-\016\234w"
    "\330\037\025\2015ux\022\274\010\001d\361\357\016\207\031\3400v\242\322\303/\247\316{"
    "\211t\rC\357\"\315f\202Gwn\332B\233\026)\027\013Ol\335\351\213\211\247E"
    "\215\261\353\026\235s>A\034\001\2434\307!)4\300\221K\342O\003\?xQ\305\004\304%%j"
    "\355\231w\212\004\035\243A(\267\030\023\232\201L\220\243\237\350\014J\020\333\2509"
    "\231\264Z\373\351\021\016wVtk\203\034c\034\252\025\303\260\222\264\334\367\366\250\226s"
    "\241\376\266 \\n\240\032\255C5\206j\035\330\376\2160\217\307\302\345\312\"\200e\03232"
    "\217\347\277\311\254A\017\013\332\025\275\367\2031\271I*\245\024X9\301\251oN-("
    "\246\253\305\214\2439\000\224\370\205\374\232\313L\243\367\340\014)\257\371R%\327<"
    "\206\313\0313\306\r\2233\305\315\226`K\353G\2543\371\320a\226\257D\217\002;\360\027l{"
    "\201\343\003\303>\001\275\352\326\r\303\032\340\321\306\366\253\206I\267n\266\206\211*"
    "\257\344\375\367[ \241\213\013\234\327\2401\225\225\212\240\344>\?5\250\345c\200b"
    "\004\261\033\373\004\344\215\334\340\364\250O`It"
    "\017\200\320\330\276\003\010\374\311\0372\n"
    "\252\277\373s\242\205\377\320\340#\021\313\375\270\327 T\003\013\366\000a"
    "\203\346\004\222^\r\373\365E>\241U\205\275)\204\333\006\2275\206\211\2172c\331DX"
    "\250\3609\217\320t\276\271\330\205\373\355\233[\213C\022;l\375\264\315wK\245\2167'"
    "\324\005\010\350\276\266h\314\233\366\212\234\373j1R.9Q\371c\311\227\212o^{\265e"
    "\220\253\355W\255\023\033\317@\364\177\r\356 \315\246*\000\000";
/* ndpi-http_starting_with_reply.pcapng, frame 5 (to server, 349 bytes) */
static const char reply_first_f5[] =
    "GET /icons/ubuntu-logo.png HTTP/1.1\r\n"
    "Host: proxy.wiresharkfest.acropolis.local\r\n"
    "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:91.0) Gecko/20100101 Firefox/9"
    "1.0\r\n"
    "Accept: image/webp,*/*\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "DNT: 1\r\n"
    "Connection: keep-alive\r\n"
    "Referer: http://proxy.wiresharkfest.acropolis.local/\r\n"
    "\r\n";
/* ndpi-http_starting_with_reply.pcapng, frame 7 (to client, 1460 bytes) */
static const char reply_first_f7[] =
    "HTTP/1.1 200 OK\r\n"
    "Date: Sat, 11 Sep 2021 16:36:50 GMT\r\n"
    "Server: Apache/2.4.41 (Ubuntu)\r\n"
    "Last-Modified: Mon, 05 Jul 2021 07:16:56 GMT\r\n"
    "ETag: \"d0a-5c65b17224a00\"\r\n"
    "Accept-Ranges: bytes\r\n"
    "Content-Length: 3338\r\n"
    "Keep-Alive: timeout=5, max=99\r\n"
    "Connection: Keep-Alive\r\n"
    "Content-Type: image/png\r\n"
    "\r\n"
    "\211PNG\r\n"
    "\032\n"
    "\000\000\000\rIHDR\000\000\000w\000\000\000c\010\006\000\000\000\241~"
    "\237\007\000\000\014\321IDATx\332\354]\005t\343H\026\3141\243Z"
    "\313\314\314\314\030\265\262\314\314\314\314\314\314\314\314\314<\314\314\024\265\35403"
    "\223\376\251t\031O.#\331VG\036\347,\325{\265;`\367\304]n\252\377\177+\217\210r"
    "\216\213\017VV7\270r\232\301\325\233\205\306\236\265\371\231\340l\262\315b\233]6\253m"
    "\31669\373N\350\312\253\206\256\334cj\312E\202+;\346R\?\344\314\007\211\345+"
    "\233\330\342\334\320/\242e\223$Yb\350\352S\266\340\373\215\334'\357\267\221\270Y\2428"
    "\340_\377\260\305\270\335\346\"\010\223\001\326\231\\}\275P\373\367\346\221\270+"
    "\210\363\217\311\373\275\340\354\n"
    "\223\253\2652\242I\260\017\323w\241\376\3575\"q3\305\274\274_\011\215\235(\270\022C"
    "\247g\201\035Bg\017\304\016\377\347\?#q\003d\241\276\322\372\202\263\2516i"
    "\030\260\316\340\354\370H\334\000hhl_t\250M\032N\304.\033\263I$\256$\005W."
    "\024\234\365\330\244\341H\223\263\317\347\357\243\3765\022\327\007q\014\021:{.["
    "\242\225\234\267\007\225]s(\305\216\336 \365\353uun<\177\345u#q\323\3358q\365\223l\210Z"
    "z\351\201\324%\346\322RX=\335\324\374\335\233d\036\274Z\n"
    "\201Y\245}4[+\0227\005\205\306\356\310\206\260E\247oG\275Mu\344\206\326\321\237\247nCc3"
    "\313\017Y\355\317\221\270\0364u\365h)\207)\0006~\372\034y\302\262\250\344\374=\323i"
    "\347\303H\\7a\265\225\266\026\234\265fk\235\305t\234\014\325\017]\224V;\360\264#q\007p"
    "\361!\2531\301Y<H\261bG\256KU\367\237K\365o\336\347\254\233mS\177v\004l\237>"
    "\222\232\276y\235\352^\276\235*\357:\235\212N\335\306y}\307\202)\224\014U\017]"
    "\230\356\277m\231\234\035\032\211\333\317\300v\306\005+S\371M\307P\313\310O"
    "\310\352\352\240t\000Q\361\336\272W\357\362\236\225{{(~\354F\351\237\2019++9f"
    "\215\?\205^\\Q\3006\n"
    "\352,[t\312\326\266\250\235\344\027XOcG\254M\235\306\034rC\355\3637I\374<"
    "\312\r\221\270\272\362\361\220\246\337\243\326\243\206\017\237$"
    "\241\257\344\374\276\341\203\307\311/:\346N\264\305]\007S9\246lg\327l\365tQ\2279"
    "\237\252\0368_\366gk\\\270\377\337\224\320\212\033+Pv\036\212\260\305\347\354J\335%"
    "\205\004\324<qeb\255\355m\254%\277\350\\2\223\342\307m\274\324\230\010j\355\1774\264\342\n"
    "\215\215\2266\034.\332\227\372\332\232\023\342`\264\305\216\331\320\371\273\232g\256#"
    "\031`Jo\233\364\003U\?~9U\?z\011f\201\304\227F\222]1\276\312:\241\023\027i-\322k\353I[R"
    "Om9\rF\323W\2578\177o\036\264\n"
    "u\227\032\316k\032\277x\211\252\356;\207\312\256\324\035\243\242\374\272#\250\366\245["
    "\251e\304\307\324]\274\204\310\352K\241\270E\225\367\2349"
    "\024\201\037\011\241\270\352\275Rf\375\241kxn|\250\257\227J.\334\007\257\303\3566"
    "\255\351\265\364\342\3750%\247\030\321\035\260&e\3055B'\256\241\261\0052\235U\377\316C"
    "\311F\031\314\006\251#T\355s7P_{\013y\241+\276\0203\202\224\300H\325\011\215\270&g\033K"
    "m\240N\337\336\363\250\003\223\277\352\201\363\206v\224:y+\352\251*!/\324<{\275\\hPSo"
    "\014\215\270BW\256\223\351\244\326\261_\221\007\340F\005\023\031\272\234\343\213\342>"
    "\3537\327\343\350%\323\356\344\320\210kpu\242\337\016\212\037\277\211\263\246\272\241e"
    "\324\247\201\372\314\265/\336\342\3551\?~\205L\233V\\c\253\346\276\270N\274\226u"
    "\373\356p{J\034\000\267#P\240l\233\364\275\207\3411Anj\326\331!9/\256\221\277\362J2"
    "\235\323>{\034\271\241\361\263\0272\022%*\277\3660\257M[\"\330\340\207\006g"
    "\347\345\270\270\211\320\036y\261\362\216S\251u\334W\324\025[\340\004\000\312\256>"
    "\304\371\363\212\233\217s=\223\226\\\260Wf\362\243\016^\3251I\334\200s\257\304\310\2753"
    "\367G\256\246r_\001s\313J\030\367\365";
/* ndpi-http_starting_with_reply.pcapng, frame 8 (to client, 1460 bytes) */
static const char reply_first_f8[] =
    "o=@\003\321]\021\317h\214\027_27 \214\350\273=My%\347\305\025\272z\246\333\207\207s"
    "\344\005\230\370\305g\357\342D}\006\002\261\331L\212\013\033\322\005\230Qd2%"
    "\277\313\375iYWor\035\265\237=OI\220\030\275\275\265\025\324\017\004\3413*.\302\200p"
    "\246\340c#,X|\316nT|\326N\024\?a3\231\020\340\234\334\037\271\232z\277\333\207G\022Z2 "
    "\254\207\327u.\2326\370\317\376_\030\317yqQ\304\345\366\341\261\216\245Hs"
    "\201\375\007\237Wnz\224 Fk\363\017\357P\323\267o8A\211\306\317_\244\306O\236E\304Hb"
    "\315e\223r^\\\324\331\270}xLu^\251\245\335\245\202\314\303\326\244\322K\016pK"
    "\221\311\030\353\337y\230\334\320\364\365\253\022\355\251\237\344\274\2701"
    "\235\355\355\325\001eW\026,\347\355\342H\204\265\016G\223\216y\223h \372Z\033S'"
    "\214\313\3233Z\204 \203\337\266P\324\235\373\323\362\201\352\206\25161\025\267\235\344X"
    "\200\3457\036C\346!\216x\316\264\350\206\312\273O\317\210\260\260;q\014sC\371\215G\313l"
    "\250\256\317yqQ8%\323\331-#>\"7\264M\3761#\342b]u\001\214\r\304\224%\"C\312)\341\210\n"
    "i\254\301o\347T\334|,\271\302\352\263]\254\203\345\205\364Z\377\353\253\311\r\330`"
    "\311\264\211\345($Q!\366\201\337\316\301N\271\267\241\206\334\320SY\214\354\305`"
    "\304\325W\242\366Yc\311\013\360\234%\332m)\3247\370C8F.g'H\205\342^"
    "\272\215\274\000\253\020\233.yaSgzt\314\237,\331\256\362QH\342\271\211\233h\272d"
    "\314\374\356\342\305\344\205\366\031\243\244G0f\206\272W\356\360N\230\263,\351<*\223+'"
    "\207+\207\212+\337K\205\342n8\212\222\0015@~\333\304\3719U!X\363\217\357\311\316\006=%"
    "\332\337\377\035*q\205\306\316\017z\352\354\251)#\363\360\265\234\327T=x\001U\334z"
    "\202\347T\215\327!\245\006\256\0232<\222\241\263pv\242]\011\216\010]\366c\254@]Ep\326)+"
    "0\254\307A@~2\376\016\301\364D\"]_K\203\023=\302\310k\370\360\011j"
    "\031\375\031\252\024\222\346+[\235\355x\177\342\013\023\?i\013Ya\011_\342PV\034 a["
    "\266\323`n\264N\370v\331fg\316\370e\302\377\362!\311\000gi\214v\264\215]s"
    "\321\251\333\016EX\320\304\245h\241\024\027k\021\n"
    "\246\344\217-*\325\277\375 \262\025a\362'\222\314\261\371\361\005$\004\274ps"
    "\177\322\373\352p\310\220M\211P\237\274\260\240\306N\014u\225\037l\271\241\036_"
    "\212\317\332yY\256\325\2541\344\027u\257\337\215\367\242\266\027~\365\362;"
    "\360\243\326\227\011\316\317@2`\250\305E\221\262\340\2544\220\372\334\323\266u\326H"
    "\?\300\372\212\\d\214|\257|\345\366\231\243\375\213\233\377\357\003\243\312z"
    "\317\324\033y\207\011);\315\?\274\353\370\300\311\200\362\021\304g\361>\024\206%"
    "\201\277)ZW\177\214\256M\370\337\315\325\273\362\242z\257\311\361\0236"
    "\245\322\313\362\355\350\321\031T\373\374\215(9\301\021\010\265\270\203\302{\263(\031j"
    "\236\274*\355+\023\006%\240G\342\306\366Y\347\217\202\263)\301\211+\237\027\355\002|9"
    "\322\273\331\265\200\355\020\335f\343\302\342\003\331j\202\263\362,\210\233\264`\033g"
    "\3454m\315\023\242{\250\222&\255+;a\004\254hq\341-#6\354\226V[u"
    "\357\331\351\335\342\032]\017\230\232B[\351\250l\010\014\363\002e\232\235\213\246\2432"
    "\037\246\006\326\347tJ4\337\300\261'\022\327\307e(\331\230\242%\256\310\277.\272\222W"
    "\36212\231\277!]\232\315\022\225{\221\270.&\307{\303\354\022m!{\025B$\256\013M"
    "\235\235\203{\215\263,l\017\2562\224\217\317F\342&\317\234\324\330\035Y\271\335Uc"
    "\237\341.\217\350\3213\031&\034 \203\263\227\004g\275\231\026\365\277W<\250{D"
    "\017\215\312\302#i\014M\271Vpe<v\256\301\211\252\304\204\256<\036|:j$\256\024\315\375WZ"
    "\331\344\352Y\2668_\332l\367)\250es\272\320\331\255\250\374\217\036\3248"
    "\314\237\036\206\2737b\005\3526Bc\007\031:;\267\177\255~\036O\3652\270z)\256\334/\374O"
    "\273\366\000%9\027\204a\370\267m\033k\333\266m\333\266m\333\266m\333\266m\333\357:["
    "\255\233\014\222\351\275u\316\263\230T\005\367\233v\247\372*\366\2014_\374\276."
    "\352\033\357:\362:t\270\232\016W\207\253\351p5\035.\365\013B\373\311\202\351p\251w"
    "\261\010\027\360\020\203\374g\321t\270\037\340!\240\303\325\341j:"
    "\334\220\206\372\006\211P\026\337\350p\375\004\325X\254C(\035\256\237\240Z\351p"
    "\375\215\016\327:\035\256\016W\207K\375a\360\235\302\300\233b\346[\325p\251/"
    "\220\010\245\321\011\365\221\n"
    "\337\2308\341\337\r\307\376\336\372\371\272G}\212XH\217\202\250\214\246h"
    "\214\234\010\213w-\206\233\024\177x\360\233\230\375Vl\177S\341x\337\2752#\016>"
    "\311\302\255r\224B\317<\364\301\r<\364`/\222+\034\377\226afV \235\357;\030\212\235x"
    "\200\207>\334\301X|\241\022\256\242Kbv\224\330\376\201\302\265N\0223"
    "\301\020\256\272\373h\204\267\324\303\265\365|\017\"";
/* ndpi-http_starting_with_reply.pcapng, frame 9 (to client, 703 bytes) */
static const char reply_first_f9[] =
    "\246\016\367\245\333\330\210\0318\356\241g\234\003\302\275\204\r\230\203)X\213+\262\0177"
    "\360\215b\270\267q\313\203S!9\334\245\210\217wD\357O\350\r\331\237\314\306p\307{\331_\n"
    "\234\025\375\215\002\373\011UH\n"
    "w\202\302~k\212\231ux\323\236pE\217@\375\213{\206\376\263\370\350u"
    "\rw\220\342\005\255\023sY\035\023\256@M\225\317\204u\270^P\005\304\\O\007\207\233K"
    "\314\024\320\341zA}$\346\34688\334\270b\246\266\016\327\007\352\274an\277\203\303\375_"
    "\314t\323\341\372@m1\314\335\305;\016\r\367[y\215N\017w\262\003\302]+f\?\362\022\356l"
    "\033\303\375\"\230\303\375\320J\270w\r\377Y\342\260\273\345#n\266_5l_"
    "\343\307\341\016\025\263\277X\011\367\260\341\?\273\354\014\227\372B\341\011\325n"
    "\303\366C\016\017\267\271\350\011c\"\334\326b6\272\225p\227\031\376s\321\346pS"
    "\210\271\316nz\346\031\266\337px\270UDO|\023\341\226\023\263\031\254\204;R\374 "
    "\246\035\341Rob\235\230+\346\246o\240\350I\350\340p\363\211\236\254&\302\315(f\273["
    "\011\267\232\370\301P\233\302-&f\366\342\0037}\345E\337X\007\207\233R\364t1"
    "\021\356\357\342-\316\313\370\330l\270\237\341\242\341\007\367P=\270\302\245\336EK"
    "\334\0273\311=\364\177,\236t\335G]\274\351\300p\177\300mC\3175\374\341a\177\237\313k"
    "\240F\210c\314\304\327\312\341>\373aS<\024\226\243\025r#\023\n"
    "\241&\372YX\254\003h\205b\310\212\024(\216n\330\201\207\302\010\225\257\214\n"
    "\253\320\032y\221\021\005Q\003}m\010\327\333\303\310e4Cn\344GS\214\307uD"
    "\024\263\341\360@\314\037C/\224Fz\344Fy\264\3051w\341~)\236X\2311\322\333bY"
    "\320\017\237\371X\330/\261Tu\2376\207\033\016w\025\317\255\262\233\371\206\"`e\362\253&"
    "m-\354d\270\233\023z\337\302\011\035AJ\023\217I\357\240\245\205\343\014\017\276p\001*6"
    "\016\233<7\371\330}\306\364\267Z<\234Hu\014\306z\\\302Ql\304\\\214D[\344Eh"
    "\274\345\345\342S\242\021\306c1\266\341$n\343\000&\243\031r\212[\2532*&\252a"
    "\020\326\341\022\216a\023\346a\024\332#\037\302\270;_\352\035\2642\310\255\362\022K"
    "\314dW\270\267\251\213aX\213\363\330\215\031\350\214\224x\333\313\374\217(\206N"
    "\230\207S8\203\035X\212\211\350\215\362\210\213\217\037\001UV\205j\247b0"
    "\274\000\000\000\000IEND\256B`\202";
/* ndpi-http_starting_with_reply.pcapng, frame 11 (to server, 339 bytes) */
static const char reply_first_f11[] =
    "GET /favicon.ico HTTP/1.1\r\n"
    "Host: proxy.wiresharkfest.acropolis.local\r\n"
    "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:91.0) Gecko/20100101 Firefox/9"
    "1.0\r\n"
    "Accept: image/webp,*/*\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "DNT: 1\r\n"
    "Connection: keep-alive\r\n"
    "Referer: http://proxy.wiresharkfest.acropolis.local/\r\n"
    "\r\n";
/* ndpi-http_starting_with_reply.pcapng, frame 13 (to client, 513 bytes) */
static const char reply_first_f13[] =
    "HTTP/1.1 404 Not Found\r\n"
    "Date: Sat, 11 Sep 2021 16:36:50 GMT\r\n"
    "Server: Apache/2.4.41 (Ubuntu)\r\n"
    "Content-Length: 297\r\n"
    "Keep-Alive: timeout=5, max=98\r\n"
    "Connection: Keep-Alive\r\n"
    "Content-Type: text/html; charset=iso-8859-1\r\n"
    "\r\n"
    "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n"
    "<html><head>\n"
    "<title>404 Not Found</title>\n"
    "</head><body>\n"
    "<h1>Not Found</h1>\n"
    "<p>The requested URL was not found on this server.</p>\n"
    "<hr>\n"
    "<address>Apache/2.4.41 (Ubuntu) Server at proxy.wiresharkfest.acropolis.local Port 80</"
    "address>\n"
    "</body></html>\n";
static const HarnessSegment reply_first_events[] = {
    EVENT(TO_CLIENT, reply_first_f1),
    EVENT(TO_CLIENT, reply_first_f2),
    EVENT(TO_CLIENT, reply_first_f3),
    EVENT(TO_SERVER, reply_first_f5),
    EVENT(TO_CLIENT, reply_first_f7),
    EVENT(TO_CLIENT, reply_first_f8),
    EVENT(TO_CLIENT, reply_first_f9),
    EVENT(TO_SERVER, reply_first_f11),
    EVENT(TO_CLIENT, reply_first_f13),
};

/* zeek-100-continue.pcap, frame 4 (to server, 221 bytes) */
static const char continue100_f4[] =
    "POST / HTTP/1.1\r\n"
    "User-Agent: curl/7.17.1 (i386-apple-darwin8.11.1) libcurl/7.17.1 zlib/1.2.3\r\n"
    "Host: www.osu.edu\r\n"
    "Accept: */*\r\n"
    "Content-Length: 2001\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\n"
    "Expect: 100-continue\r\n"
    "\r\n";
/* zeek-100-continue.pcap, frame 6 (to client, 25 bytes) */
static const char continue100_f6[] =
    "HTTP/1.1 100 Continue\r\n"
    "\r\n";
/* zeek-100-continue.pcap, frame 8 (to server, 1460 bytes) */
static const char continue100_f8[] =
    "RRRRRRRRRFRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR";
/* zeek-100-continue.pcap, frame 10 (to server, 541 bytes) */
static const char continue100_f10[] =
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
    "RRRRRRRRRRRRRR";
/* zeek-100-continue.pcap, frame 12 (to client, 1460 bytes) */
static const char continue100_f12[] =
    "HTTP/1.1 200 OK\r\n"
    "Date: Thu, 19 Mar 2009 05:21:35 GMT\r\n"
    "Server: Apache/2.0.59 (Unix) mod_auth_kerb/5.3 mod_ssl/2.0.59 OpenSSL/0.9.7a mod_fastcg"
    "i/2.4.2 PHP/5.2.8\r\n"
    "X-Powered-By: PHP/5.2.8\r\n"
    "Connection: close\r\n"
    "Transfer-Encoding: chunked\r\n"
    "Content-Type: text/html\r\n"
    "X-Pad: avoid browser bug\r\n"
    "\r\n"
    "216e\r\n"
    "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\"\n"
    "        \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\n"
    "<html xmlns=\"http://www.w3.org/1999/xhtml\" dir=\"ltr\">\n"
    "<head>\n"
    "<meta http-equiv=\"content-type\" content=\"text/html; charset=windows-1252\" />\n"
    "\n"
    "\011<title>Welcome to Ohio State - The Ohio State University</title>\n"
    "\011\011\011<!-- Drop down menu js -->\n"
    "\011\011\n"
    "\011\011\n"
    "\011\011<!-- Curvy Corners: Base JS -->\n"
    "\011\011\011\011\011\011<script type=\"text/JavaScript\" src=\"2008/inc/js/curvyCorners"
    "/rounded_corners_lite.inc.js\"></script>\n"
    "\011\011\n"
    "\011\011<!-- Mootools: Base JS -->\n"
    "\011\011\011\011\011<script type=\"text/javascript\" src=\"2008/inc/js/moo/pack-m.js"
    "\"></script>\n"
    "\011\011\011\n"
    "\n"
    "\011\011<!-- OSU: Navbar JS:-->\n"
    "\011\011\011\011<!-- OSU Navbar: Input label JS -->\n"
    "\011\011<script type=\"text/JavaScript\" src=\"2008/inc/common/osu-navbar-media/js/sear"
    "chform.js\"></script>\011\011\011\011<!-- Blueprint: Base CSS -->\n"
    "\011\011<link rel=\"stylesheet\" href=\"2008/css/test-blueprint-0.7/screen.css\" type="
    "\"text/css\" media=\"screen, projection\"/>\n"
    "\011\011<link rel=\"stylesheet\" href=\"2008/css/test-blueprint-0.7/print.css\" type="
    "\"text/css\" media=\"print\"/>\n"
    "\011\011<!--[if IE]><link rel=\"stylesheet\" href=\"2008/css/test-blueprint-0.7/src/ie."
    "css\" type=\"text/css\" media=\"screen, projection\"><![endif]-->\n"
    "\011";
static const HarnessSegment continue100_events[] = {
    EVENT(TO_SERVER, continue100_f4),
    EVENT(TO_CLIENT, continue100_f6),
    EVENT(TO_SERVER, continue100_f8),
    EVENT(TO_SERVER, continue100_f10),
    EVENT(TO_CLIENT, continue100_f12),
};

/* zeek-websocket.pcap, frame 4 (to server, 576 bytes) */
static const char websocket_f4[] =
    "GET /echo\?.kl=Y HTTP/1.1\r\n"
    "Host: sandbox.kaazing.net\r\n"
    "User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10.12; rv:54.0) Gecko/20100101 Firef"
    "ox/54.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Origin: http://kaazing.org\r\n"
    "Sec-WebSocket-Protocol: x-kaazing-handshake\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate\r\n"
    "Sec-WebSocket-Key: vf3bSlxjI9R5oosJfwM/8Q==\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    "Upgrade: websocket\r\n"
    "\r\n";
/* zeek-websocket.pcap, frame 7 (to client, 581 bytes) */
static const char websocket_f7[] =
    "HTTP/1.1 101 Web Socket Protocol Handshake\r\n"
    "Access-Control-Allow-Credentials: true\r\n"
    "Access-Control-Allow-Headers: content-type\r\n"
    "Access-Control-Allow-Headers: authorization\r\n"
    "Access-Control-Allow-Headers: x-websocket-extensions\r\n"
    "Access-Control-Allow-Headers: x-websocket-version\r\n"
    "Access-Control-Allow-Headers: x-websocket-protocol\r\n"
    "Access-Control-Allow-Origin: http://kaazing.org\r\n"
    "Connection: Upgrade\r\n"
    "Date: Thu, 03 Aug 2017 14:37:12 GMT\r\n"
    "Sec-WebSocket-Accept: 0Zl6vr6NCtorAnmvFsy68nbStvE=\r\n"
    "Sec-WebSocket-Protocol: x-kaazing-handshake\r\n"
    "Server: Kaazing Gateway\r\n"
    "Upgrade: websocket\r\n"
    "\r\n";
/* zeek-websocket.pcap, frame 9 (to client, 6 bytes) */
static const char websocket_f9[] =
    "\202\004\357\203\277N";
/* zeek-websocket.pcap, frame 11 (to server, 148 bytes) */
static const char websocket_f11[] =
    "\201\376\000\214\360\022\016\034\267WZ<\337wmt\2372FH\244B!-\336#\003\026\247wlO\237qey"
    "\204\?^n\237fa\177\237~4<\375\030]y\223\?Yy\222Aa\177\233wz1\240`ah\237qap\3122"
    "\003\026\243wm1\247wlO\237qey\204\?Kd\204w`o\231}`o\3122v1\233sof\231|i1\231vby\335fgq"
    "\225}{h\334j#w\221stu\236u#l\231|i1\200}`{\375\030\003\026";
/* zeek-websocket.pcap, frame 12 (to client, 597 bytes) */
static const char websocket_f12[] =
    "\202~\002QHTTP/1.1 101 Web Socket Protocol Handshake\r\n"
    "Access-Control-Allow-Credentials: true\r\n"
    "Access-Control-Allow-Headers: content-type\r\n"
    "Access-Control-Allow-Headers: authorization\r\n"
    "Access-Control-Allow-Headers: x-websocket-extensions\r\n"
    "Access-Control-Allow-Headers: x-websocket-version\r\n"
    "Access-Control-Allow-Headers: x-websocket-protocol\r\n"
    "Access-Control-Allow-Origin: http://kaazing.org\r\n"
    "Connection: Upgrade\r\n"
    "Date: Thu, 03 Aug 2017 14:37:12 GMT\r\n"
    "Sec-WebSocket-Accept: 0Zl6vr6NCtorAnmvFsy68nbStvE=\r\n"
    "Sec-WebSocket-Extensions: x-kaazing-ping-pong; 01010102\r\n"
    "Server: Kaazing Gateway\r\n"
    "Upgrade: websocket\r\n"
    "\r\n";
static const HarnessSegment websocket_events[] = {
    EVENT(TO_SERVER, websocket_f4),
    EVENT(TO_CLIENT, websocket_f7),
    EVENT(TO_CLIENT, websocket_f9),
    EVENT(TO_SERVER, websocket_f11),
    EVENT(TO_CLIENT, websocket_f12),
};

/* zeek-curl_http_09.pcap, frame 4 (to server, 82 bytes) */
static const char http09_f4[] =
    "GET /zeek.html HTTP/1.1\r\n"
    "Host: localhost\r\n"
    "User-Agent: curl/7.74.0\r\n"
    "Accept: */*\r\n"
    "\r\n";
/* zeek-curl_http_09.pcap, frame 6 (to client, 51 bytes) */
static const char http09_f6[] =
    "<html>\n"
    "  The Zeek Network Security Monitor\n"
    "</html>\n";
static const HarnessSegment http09_events[] = {
    EVENT(TO_SERVER, http09_f4),
    EVENT(TO_CLIENT, http09_f6),
};

/* zeek-no-version.pcap, frame 4 (to server, 123 bytes) */
static const char noversion_f4[] =
    "GET /cgi-bin/formmail.pl\?email=f2@aol.com&subject=www-nrg.ee/cgi-bin/formmail.pl&recipient="
    "unknownz@buy2save.com&msg=w00t\r\n";
/* zeek-no-version.pcap, frame 6 (to client, 323 bytes) */
static const char noversion_f6[] =
    "<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n"
    "<BODY BGCOLOR=\"#cc9999\"><H2>404 Not Found</H2>\n"
    "The requested URL '/cgi-bin/formmail.pl\?email=f2@aol.com&subject=www-nrg.ee/cgi-bin/fo"
    "rmmail.pl&rec' was not found on this server.\n"
    "<HR>\n"
    "<ADDRESS><A HREF=\"http://www.acme.com/software/thttpd/\">thttpd</A></ADDRESS>\n"
    "</BODY></HTML>\n";
static const HarnessSegment noversion_events[] = {
    EVENT(TO_SERVER, noversion_f4),
    EVENT(TO_CLIENT, noversion_f6),
};

/* ---- synthetic exchanges (written for these tests) ---- */

/* Six pipelined requests: auth, cookies, a fold, HEAD, chunked with extension
 * and trailer, Expect: 100-continue, an unknown method. */
static const char pipeline_requests[] =
    "GET /a?token=abc&x=1 HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "User-Agent: test/1.0\r\n"
    "  folded\r\n"
    "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"
    "Cookie: sid=S3CR3T; theme=dark\r\n"
    "\r\n"
    "HEAD /b HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "\r\n"
    "POST /c HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "5;ext=1\r\n"
    "hello\r\n"
    "6\r\n"
    " world\r\n"
    "0\r\n"
    "X-Trailer: t\r\n"
    "\r\n"
    "PUT /d HTTP/1.1\r\n"
    "Content-Length: 4\r\n"
    "Expect: 100-continue\r\n"
    "\r\n"
    "body"
    "DELETE /e HTTP/1.1\r\n"
    "\r\n"
    "BREW /pot HTTP/1.1\r\n"
    "\r\n";

static const char pipeline_responses[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 5\r\n"
    "Set-Cookie: session=XYZ; Path=/\r\n"
    "\r\n"
    "hello"
    "HTTP/1.1 200 OK\r\n"
    "Content-Length: 1000\r\n"
    "\r\n"
    "HTTP/1.1 201 Created\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "3\r\n"
    "abc\r\n"
    "0\r\n"
    "\r\n"
    "HTTP/1.1 100 Continue\r\n"
    "\r\n"
    "HTTP/1.1 204 No Content\r\n"
    "\r\n"
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Length: 2\r\n"
    "\r\n"
    "no"
    "HTTP/1.1 304 Not Modified\r\n"
    "Content-Length: 10\r\n"
    "\r\n";

static const HarnessSegment pipeline_events[] = {
    EVENT(TO_SERVER, pipeline_requests),
    EVENT(TO_CLIENT, pipeline_responses),
};

/* CONNECT tunnel carrying a TLS ClientHello start */
static const HarnessSegment connect_events[] = {
    EVENT(TO_SERVER, "CONNECT db.example.com:443 HTTP/1.1\r\n"
                     "Host: db.example.com:443\r\n"
                     "Proxy-Authorization: Basic cHJveHl1c2VyOnMzY3IzdA==\r\n"
                     "\r\n"),
    EVENT(TO_CLIENT, "HTTP/1.1 200 Connection established\r\n\r\n"),
    EVENT(TO_SERVER, "\026\003\001\000\100\001\000\000\074\003\003"),
    EVENT(TO_CLIENT, "\026\003\003\000\060\002"),
};

/* h2c upgrade, then HTTP/2 bytes that must not be parsed */
static const HarnessSegment h2c_events[] = {
    EVENT(TO_SERVER, "GET / HTTP/1.1\r\n"
                     "Host: example.com\r\n"
                     "Connection: Upgrade, HTTP2-Settings\r\n"
                     "Upgrade: h2c\r\n"
                     "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
                     "\r\n"),
    EVENT(TO_CLIENT, "HTTP/1.1 101 Switching Protocols\r\n"
                     "Connection: Upgrade\r\n"
                     "Upgrade: h2c\r\n"
                     "\r\n"
                     "\000\000\000\004\000\000\000\000\000"),
    EVENT(TO_SERVER, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
};

static const HarnessScript test_scripts[] = {
    HARNESS_SCRIPT(pipeline_events), HARNESS_SCRIPT(connect_events), HARNESS_SCRIPT(h2c_events),
    HARNESS_SCRIPT(lines_split_events), HARNESS_SCRIPT(reply_first_events),
    HARNESS_SCRIPT(continue100_events), HARNESS_SCRIPT(websocket_events),
    HARNESS_SCRIPT(http09_events), HARNESS_SCRIPT(noversion_events),
};

/* What a script produces fed whole, or with every event fed byte by byte. */
static char *
test_script_output(const HarnessScript *script, gboolean is_bytewise)
{
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    for (gsize i = 0; i < script->n; i++) {
        const HarnessSegment *ev = &script->segs[i];
        harness_flow_feed_chunked(flow, ev->dir, ev->data, ev->len, is_bytewise ? 1 : ev->len);
    }
    assert_null(flow->error);
    char *output = harness_flow_output(flow);
    harness_flow_free(flow);
    return output;
}

/* ---- probe ---- */

static void
test_http_probe_yes(void **unused)
{
    (void) unused;
    const PtlDissector *d = ptl_dissector_entry();
    static const char *const requests[] = {
        "GET / HTTP/1.1\r\n", "POST /x HTTP/1.0\r\nHost: a\r\n", "GET /path\r\n",
        "OPTIONS * HTTP/1.1\r\n", "CONNECT example.com:443 HTTP/1.1\r\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(requests); i++)
        assert_int_equal(d->probe((const guint8 *) requests[i], strlen(requests[i]), TO_SERVER),
                         PTL_PROBE_YES);
    assert_int_equal(d->probe((const guint8 *) "HTTP/1.1 200 OK\r\n", 17, TO_CLIENT),
                     PTL_PROBE_YES);
    assert_int_equal(d->probe((const guint8 *) "HTTP/1.0 404\r\n", 14, TO_CLIENT), PTL_PROBE_YES);
    /* real first segments */
    assert_int_equal(d->probe((const guint8 *) lines_split_f4, sizeof lines_split_f4 - 1,
                              TO_SERVER), PTL_PROBE_YES);
    assert_int_equal(d->probe((const guint8 *) reply_first_f1, sizeof reply_first_f1 - 1,
                              TO_CLIENT), PTL_PROBE_YES);
    assert_int_equal(d->probe((const guint8 *) noversion_f4, sizeof noversion_f4 - 1, TO_SERVER),
                     PTL_PROBE_YES);
    /* a request line longer than the probe window still reads as HTTP */
    g_autofree char *long_uri = g_strnfill(PTL_PROBE_MAX_BYTES + 100, 'a');
    memcpy(long_uri, "GET /", 5);
    assert_int_equal(d->probe((const guint8 *) long_uri, PTL_PROBE_MAX_BYTES + 100, TO_SERVER),
                     PTL_PROBE_YES);
}

static void
test_http_probe_maybe(void **unused)
{
    (void) unused;
    const PtlDissector *d = ptl_dissector_entry();
    assert_int_equal(d->probe(NULL, 0, TO_SERVER), PTL_PROBE_MAYBE);
    assert_int_equal(d->probe((const guint8 *) "GE", 2, TO_SERVER), PTL_PROBE_MAYBE);
    assert_int_equal(d->probe((const guint8 *) "GET ", 4, TO_SERVER), PTL_PROBE_MAYBE);
    assert_int_equal(d->probe((const guint8 *) "GET /index.ht", 13, TO_SERVER), PTL_PROBE_MAYBE);
    assert_int_equal(d->probe((const guint8 *) "HTTP/1.", 7, TO_CLIENT), PTL_PROBE_MAYBE);
    assert_int_equal(d->probe((const guint8 *) "HTTP/1.1 200", 12, TO_CLIENT), PTL_PROBE_MAYBE);
}

static void
test_http_probe_no(void **unused)
{
    (void) unused;
    const PtlDissector *d = ptl_dissector_entry();
    static const struct {
        const char  *bytes;
        gsize        len;
        PtlDirection dir;
    } others[] = {
        { "\026\003\001\002\000\001\000\001\374\003\003", 11, TO_SERVER },  /* TLS ClientHello */
        { "\026\003\003\000\132\002\000\000\126", 9, TO_CLIENT },           /* TLS ServerHello */
        { "AMQP\000\000\011\001", 8, TO_SERVER },                           /* AMQP header */
        { "\000\000\000\205\377SMBr\000\000", 11, TO_SERVER },              /* NetBIOS + SMB1 */
        { "\000\000\000\110\376SMB@\000", 10, TO_CLIENT },                  /* NetBIOS + SMB2 */
        { "\200\001\000\001\000\000\000\004ping", 12, TO_SERVER },          /* Thrift binary */
        { "\202\041\001\004ping", 8, TO_SERVER },                           /* Thrift compact */
        { "\000\000\000\054\000\000\000\000\000\000\000\000", 12, TO_SERVER }, /* ZooKeeper */
        { "stat", 4, TO_SERVER },                                           /* ZooKeeper 4lw */
        { "SSH-2.0-OpenSSH_8.4\r\n", 21, TO_CLIENT },
        { "OPTIONS rtsp://cam/1 RTSP/1.0\r\n", 31, TO_SERVER },             /* RTSP, not HTTP */
        { "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24, TO_SERVER },              /* HTTP/2 preface */
        { "GET / HTTP/1.1\r\n", 16, TO_CLIENT },                            /* wrong direction */
        { "HTTP/1.1 200 OK\r\n", 17, TO_SERVER },
        { "HTTP/1.1 099 Odd\r\n", 18, TO_CLIENT },
        { "HTTP/1.1 2000\r\n", 15, TO_CLIENT },
        { "GET\001 / HTTP/1.1\r\n", 17, TO_SERVER },
        { "GET /\001x HTTP/1.1\r\n", 18, TO_SERVER },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(others); i++) {
        PtlProbe got = d->probe((const guint8 *) others[i].bytes, others[i].len, others[i].dir);
        if (got != PTL_PROBE_NO)
            fail_msg("probe case %zu answered %d", i, got);
    }
}

/* ---- split invariance, truncation ---- */

static void
test_http_feed_any_split(void **unused)
{
    (void) unused;
    for (gsize s = 0; s < G_N_ELEMENTS(test_scripts); s++)
        harness_assert_split_invariant(&http_tcp, &test_scripts[s], NULL);
}

static void
test_http_feed_bytewise(void **unused)
{
    (void) unused;
    for (gsize s = 0; s < G_N_ELEMENTS(test_scripts); s++) {
        g_autofree char *whole = test_script_output(&test_scripts[s], FALSE);
        g_autofree char *bytewise = test_script_output(&test_scripts[s], TRUE);
        assert_string_equal(whole, bytewise);
    }
}

/* Every prefix of every event, fed alone to a fresh state: 0..len, no error. */
static void
test_http_feed_truncated(void **unused)
{
    (void) unused;
    for (gsize s = 0; s < G_N_ELEMENTS(test_scripts); s++) {
        const HarnessScript *script = &test_scripts[s];
        harness_assert_every_truncation(&http_tcp, script->segs[0].dir, script->segs[0].data,
                                        script->segs[0].len);
        for (gsize i = 1; i < script->n; i++) {
            const HarnessSegment *ev = &script->segs[i];
            if (ev->dir == TO_CLIENT)
                continue;  /* an answer alone may legitimately be an unrequested 0.9 body */
            for (gsize k = 0; k <= ev->len; k++) {
                HarnessFlow *flow = harness_flow_new(&http_tcp);
                test_feed(flow, ev->dir, ev->data, k);  /* must not crash */
                g_autofree char *json = harness_flow_json(flow);
                harness_flow_free(flow);
            }
        }
    }
}

/* ---- what the real captures must show ---- */

static void
test_http_real_lines_split(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    harness_flow_feed_segments(flow, lines_split_events, G_N_ELEMENTS(lines_split_events));
    assert_json_string(flow, "request_versions.0", "HTTP/1.1");
    /* the server answered HTTP/1.0 to an HTTP/1.1 request (issue 13): kept apart */
    assert_json_string(flow, "response_versions.0", "HTTP/1.0");
    assert_json_string(flow, "transactions.0.method", "GET");
    assert_json_string(flow, "transactions.0.host", "toni.lan:31337");
    assert_json_string(flow, "transactions.0.user_agent", "uclient-fetch");
    assert_json_string(flow, "transactions.0.content_type", "text/html; charset=UTF-8");
    assert_int_equal(test_int(flow, "transactions.0.status"), 200);
    assert_int_equal(test_int(flow, "transactions.0.response_length"), 1476);
    assert_int_equal(test_int(flow, "unanswered"), 0);
    assert_int_equal(flow->pending[TO_CLIENT]->len, 0);
    assert_true(harness_flow_has_fact(flow, PTL_FACT_CONFIRMED, "HTTP/1.1"));
    harness_flow_free(flow);
}

static void
test_http_real_reply_first(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    harness_flow_feed_segments(flow, reply_first_events, G_N_ELEMENTS(reply_first_events));
    assert_int_equal(test_int(flow, "unrequested"), 1);
    assert_int_equal(test_int(flow, "requests"), 2);
    assert_int_equal(test_int(flow, "responses"), 3);
    assert_int_equal(test_int(flow, "unanswered"), 0);
    assert_false(test_has(flow, "transactions.0.method"));
    assert_int_equal(test_int(flow, "transactions.0.response_length"), 3138);
    assert_json_string(flow, "transactions.1.uri", "/icons/ubuntu-logo.png");
    assert_int_equal(test_int(flow, "transactions.1.response_length"), 3338);
    assert_int_equal(test_int(flow, "transactions.2.status"), 404);
    assert_int_equal(test_int(flow, "status_codes.200"), 2);
    assert_int_equal(test_int(flow, "methods.GET"), 2);
    harness_flow_free(flow);
}

static void
test_http_real_100_continue(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    harness_flow_feed_segments(flow, continue100_events, G_N_ELEMENTS(continue100_events));
    assert_int_equal(test_int(flow, "status_codes.100"), 1);
    assert_int_equal(test_int(flow, "status_codes.200"), 1);
    assert_int_equal(test_int(flow, "responses"), 1);  /* the interim one does not pair */
    assert_int_equal(test_int(flow, "transactions.0.status"), 200);
    assert_int_equal(test_int(flow, "transactions.0.request_length"), 2001);
    assert_json_string(flow, "transactions.0.content_type", "text/html");
    /* first chunk is 0x216e bytes: only what arrived so far is counted */
    gint64 got = test_int(flow, "transactions.0.response_length");
    assert_true(got > 1000 && got < 0x216e);
    harness_flow_free(flow);
}

static void
test_http_real_websocket(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    harness_flow_feed_segments(flow, websocket_events, G_N_ELEMENTS(websocket_events));
    assert_true(harness_flow_has_fact(flow, PTL_FACT_UPGRADE_WEBSOCKET, "websocket"));
    g_autofree char *json = harness_flow_json(flow);
    assert_non_null(strstr(json, "\"websocket\":true"));
    assert_json_string(flow, "upgraded", "websocket");
    assert_int_equal(test_int(flow, "transactions.0.status"), 101);
    /* the server's frames (one holds "HTTP/1.1 101" text) are not parsed */
    assert_int_equal(test_int(flow, "responses"), 1);
    assert_int_equal(flow->pending[TO_CLIENT]->len, 0);
    assert_int_equal(flow->pending[TO_SERVER]->len, 0);
    harness_flow_free(flow);
}

static void
test_http_real_http09(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    harness_flow_feed_segments(flow, http09_events, G_N_ELEMENTS(http09_events));
    assert_int_equal(test_int(flow, "http09_responses"), 1);
    assert_int_equal(test_int(flow, "transactions.0.response_length"), 51);
    assert_false(test_has(flow, "transactions.0.status"));
    harness_flow_free(flow);

    flow = harness_flow_new(&http_tcp);
    harness_flow_feed_segments(flow, noversion_events, G_N_ELEMENTS(noversion_events));
    assert_json_string(flow, "request_versions.0", "HTTP/0.9");
    assert_json_string(flow, "response_versions.0", "HTTP/0.9");
    assert_true(harness_flow_has_fact(flow, PTL_FACT_CONFIRMED, "HTTP/0.9"));
    assert_int_equal(test_int(flow, "http09_responses"), 1);
    assert_int_equal(test_int(flow, "transactions.0.response_length"), 323);
    g_autofree char *uri = test_string(flow, "transactions.0.uri");
    assert_true(g_str_has_prefix(uri, "/cgi-bin/formmail.pl?email="));
    harness_flow_free(flow);
}

/* ---- pairing, bodies, facts ---- */

static void
test_http_pipeline(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    harness_flow_feed_segments(flow, pipeline_events, G_N_ELEMENTS(pipeline_events));
    assert_int_equal(flow->pending[TO_SERVER]->len, 0);
    assert_int_equal(flow->pending[TO_CLIENT]->len, 0);
    assert_int_equal(test_int(flow, "requests"), 6);
    assert_int_equal(test_int(flow, "responses"), 6);
    assert_int_equal(test_int(flow, "unanswered"), 0);
    assert_json_string(flow, "transactions.0.uri", "/a?token=*&x=*");
    assert_json_string(flow, "transactions.0.user_agent", "test/1.0 folded");
    assert_json_string(flow, "transactions.0.content_type", "text/plain");
    assert_int_equal(test_int(flow, "transactions.0.response_length"), 5);
    assert_json_string(flow, "transactions.1.method", "HEAD");
    assert_int_equal(test_int(flow, "transactions.1.response_length"), 0);
    assert_int_equal(test_int(flow, "transactions.2.request_length"), 11);
    assert_int_equal(test_int(flow, "transactions.2.status"), 201);
    assert_int_equal(test_int(flow, "transactions.2.response_length"), 3);
    assert_int_equal(test_int(flow, "transactions.3.request_length"), 4);
    assert_int_equal(test_int(flow, "transactions.3.status"), 204);
    assert_int_equal(test_int(flow, "transactions.4.status"), 503);
    assert_json_string(flow, "transactions.4.reason", "Service Unavailable");
    assert_int_equal(test_int(flow, "transactions.5.status"), 304);
    assert_json_string(flow, "transactions.5.method", "other");  /* not on the method list */
    assert_int_equal(test_int(flow, "methods.other"), 1);
    assert_int_equal(test_int(flow, "methods.GET"), 1);
    assert_int_equal(test_int(flow, "status_codes.100"), 1);
    assert_json_string(flow, "auth_schemes.0", "Basic");
    assert_json_string(flow, "cookie_names.0", "sid");
    assert_json_string(flow, "cookie_names.1", "theme");
    assert_json_string(flow, "cookie_names.2", "session");
    /* secrets never reach the output */
    g_autofree char *json = harness_flow_json(flow);
    g_autofree char *facts = harness_flow_facts_text(flow);
    static const char *const secrets[] = { "open sesame", "S3CR3T", "XYZ", "dark", "abc&",
                                           "QWxhZGRpbjpvcGVuIHNlc2FtZQ" };
    for (gsize i = 0; i < G_N_ELEMENTS(secrets); i++) {
        assert_null(strstr(json, secrets[i]));
        assert_null(strstr(facts, secrets[i]));
    }
    harness_flow_free(flow);
}

static void
test_http_facts(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    harness_flow_feed_segments(flow, pipeline_events, G_N_ELEMENTS(pipeline_events));
    assert_true(harness_flow_has_fact(flow, PTL_FACT_CONFIRMED, "HTTP/1.1"));
    assert_int_equal(harness_flow_count_facts_with_prefix(flow, "CONFIRMED"), 1);
    assert_true(harness_flow_has_fact(flow, PTL_FACT_CLEARTEXT_AUTH, "HTTP Basic user Aladdin"));
    assert_true(harness_flow_has_fact(flow, PTL_FACT_CLEARTEXT_AUTH, "HTTP Cookie"));
    assert_int_equal(harness_flow_count_facts_with_prefix(flow, "CLEARTEXT_AUTH HTTP Cookie"), 1);
    assert_true(harness_flow_has_fact(flow, PTL_FACT_REQUEST_FAILED, "HTTP 503"));
    harness_flow_free(flow);

    flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_SERVER,
                              "GET /1 HTTP/1.1\r\nAuthorization: Bearer eyJhbGciOi.x.y\r\n\r\n"
                              "GET /2 HTTP/1.1\r\nAuthorization: Digest username=\"u\"\r\n\r\n"
                              "GET /3 HTTP/1.1\r\nAuthorization: Bearer other\r\n\r\n"));
    assert_true(harness_flow_has_fact(flow, PTL_FACT_CLEARTEXT_AUTH, "HTTP Bearer token"));
    assert_true(harness_flow_has_fact(flow, PTL_FACT_CLEARTEXT_AUTH, "HTTP Digest user u"));
    assert_int_equal(harness_flow_count_facts_with_prefix(flow, "CLEARTEXT_AUTH"), 2);
    g_autofree char *json = harness_flow_json(flow);
    assert_null(strstr(json, "eyJhbGciOi"));
    assert_json_string(flow, "auth_schemes.1", "Digest");
    harness_flow_free(flow);
}

static void
test_http_connect_tunnel(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    harness_flow_feed_segments(flow, connect_events, G_N_ELEMENTS(connect_events));
    assert_true(harness_flow_has_fact(flow, PTL_FACT_UPGRADE_TLS, "HTTP CONNECT tunnel"));
    assert_true(harness_flow_has_fact(flow, PTL_FACT_CLEARTEXT_AUTH,
                                      "HTTP Proxy-Basic user proxyuser"));
    assert_json_string(flow, "upgraded", "tunnel");
    assert_json_string(flow, "auth_schemes.0", "Proxy-Basic");
    /* the TLS record is the switch point: left for the core to hand to TLS */
    assert_int_equal(flow->pending[TO_SERVER]->len, 11);
    assert_int_equal(flow->pending[TO_SERVER]->data[0], 0x16);
    g_autofree char *facts = harness_flow_facts_text(flow);
    assert_null(strstr(facts, "s3cr3t"));
    harness_flow_free(flow);
}

static void
test_http_h2c_upgrade(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    /* the client holds its bytes until the answer: fed before it, they wait */
    assert_true(test_feed(flow, TO_SERVER, h2c_events[0].data, h2c_events[0].len));
    assert_true(test_feed(flow, TO_SERVER, h2c_events[2].data, h2c_events[2].len));
    assert_int_equal(flow->pending[TO_SERVER]->len, h2c_events[2].len);
    assert_true(test_feed(flow, TO_CLIENT, h2c_events[1].data, h2c_events[1].len));
    assert_true(test_feed(flow, TO_SERVER, "\000\000", 2));
    assert_int_equal(flow->pending[TO_SERVER]->len, 0);
    assert_json_string(flow, "upgraded", "h2c");
    g_autofree char *json = harness_flow_json(flow);
    assert_non_null(strstr(json, "\"websocket\":false"));
    assert_int_equal(harness_flow_count_facts_with_prefix(flow, "UPGRADE"), 0);
    harness_flow_free(flow);
}

static void
test_http_until_close(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_SERVER, "GET / HTTP/1.0\r\n\r\n"));
    assert_true(test_feed_str(flow, TO_CLIENT, "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"
                                               "HTTP/1.1 200 this is body, not a response\r\n"));
    assert_true(test_feed_str(flow, TO_CLIENT, "more body"));
    assert_int_equal(flow->pending[TO_CLIENT]->len, 0);
    assert_int_equal(test_int(flow, "responses"), 1);
    assert_int_equal(test_int(flow, "transactions.0.response_length"), 52);
    assert_json_string(flow, "request_versions.0", "HTTP/1.0");
    assert_json_string(flow, "response_versions.0", "HTTP/1.0");
    harness_flow_free(flow);
}

/* ---- malformed input and limits ---- */

static void
test_http_expect_error(const char *to_server, const char *to_client, gint code)
{
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    gboolean is_ok = test_feed_str(flow, TO_SERVER, to_server);
    if (is_ok && to_client != NULL)
        is_ok = test_feed_str(flow, TO_CLIENT, to_client);
    if (is_ok)
        fail_msg("no error for %s", to_client != NULL ? to_client : to_server);
    assert_non_null(flow->error);
    if (flow->error->code != code)
        fail_msg("expected code %d, got %d: %s", code, flow->error->code, flow->error->message);
    harness_flow_free(flow);
}

static void
test_http_malformed(void **unused)
{
    (void) unused;
    const gint bad = PTL_DISSECT_ERROR_MALFORMED;
    const gint limit = PTL_DISSECT_ERROR_LIMIT;
    test_http_expect_error("\026\003\001\002\000\001\000", NULL, bad);
    test_http_expect_error("GET / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n", NULL, bad);
    test_http_expect_error("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", NULL, bad);
    test_http_expect_error("GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
                           NULL, limit);
    test_http_expect_error("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                           NULL, bad);
    test_http_expect_error("GET / HTTP/1.1\r\nno colon here\r\n\r\n", NULL, bad);
    test_http_expect_error("GET / HTTP/1.1\r\n folded first\r\n\r\n", NULL, bad);
    test_http_expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", NULL, bad);
    test_http_expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", NULL,
                           bad);
    test_http_expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "FFFFFFFFFFFFFFFFFFFF\r\n", NULL, limit);
    test_http_expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "2\r\nabXY", NULL, bad);
    test_http_expect_error("GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nbad\r\n\r\n", bad);
    test_http_expect_error("GET / HTTP/2.0\r\n\r\n", NULL, PTL_DISSECT_ERROR_UNSUPPORTED);

    /* a header block that never ends */
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_SERVER, "GET / HTTP/1.1\r\n"));
    gboolean is_ok = TRUE;
    for (guint i = 0; i < 5000 && is_ok; i++)
        is_ok = test_feed_str(flow, TO_SERVER, "X-Filler: 0123456789\r\n");
    assert_false(is_ok);
    assert_int_equal(flow->error->code, PTL_DISSECT_ERROR_LIMIT);
    harness_flow_free(flow);

    /* a chunk-size line that never ends */
    flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_SERVER,
                              "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1"));
    g_autofree char *ext = g_strnfill(5000, ';');
    assert_false(test_feed_str(flow, TO_SERVER, ext));
    assert_int_equal(flow->error->code, PTL_DISSECT_ERROR_LIMIT);
    harness_flow_free(flow);

    /* a client that keeps talking while its upgrade is unanswered */
    flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_SERVER, "GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"));
    g_autofree char *frames = g_strnfill(70000, 'x');
    assert_false(test_feed_str(flow, TO_SERVER, frames));
    assert_int_equal(flow->error->code, PTL_DISSECT_ERROR_LIMIT);
    harness_flow_free(flow);
}

/* ---- caps ---- */

static void
test_http_caps(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    /* 12 registered schemes, each plain and through a proxy: 24 distinct entries */
    static const char *const schemes[] = { "Basic", "Bearer", "Digest", "HOBA", "Mutual",
                                           "Negotiate", "NTLM", "OAuth", "SCRAM-SHA-1",
                                           "SCRAM-SHA-256", "vapid", "AWS4-HMAC-SHA256" };
    for (guint i = 0; i < 100; i++) {
        const char *header = (i / 12) % 2 ? "Proxy-Authorization" : "Authorization";
        g_autofree char *req = g_strdup_printf("GET /%u HTTP/1.1\r\nCookie: c%u=v\r\n"
                                               "%s: %s x\r\n\r\n", i, i, header,
                                               schemes[i % 12]);
        assert_true(test_feed_str(flow, TO_SERVER, req));
    }
    for (guint i = 0; i < 100; i++) {
        g_autofree char *resp = g_strdup_printf("HTTP/1.1 %u X\r\nContent-Length: 0\r\n\r\n",
                                                200 + i);
        assert_true(test_feed_str(flow, TO_CLIENT, resp));
    }
    assert_int_equal(test_int(flow, "requests"), 100);
    assert_int_equal(test_int(flow, "transactions_dropped"), 72);  /* 36 + 36 unrequested */
    assert_int_equal(test_int(flow, "pipeline_dropped"), 36);
    assert_int_equal(test_int(flow, "unrequested"), 36);
    assert_int_equal(test_int(flow, "cookie_names_dropped"), 68);
    assert_int_equal(test_int(flow, "auth_schemes_dropped"), 64);  /* 100 - 8 kept - 28 repeats */
    assert_int_equal(test_int(flow, "status_codes_dropped"), 68);
    assert_int_equal(harness_flow_count_facts_with_prefix(flow, "CLEARTEXT_AUTH"), 9);
    g_autofree char *json = harness_flow_json(flow);
    g_autoptr(JsonNode) root = test_parse(json);
    assert_int_equal(json_array_get_length(json_node_get_array(test_path(root, "transactions"))),
                     64);
    assert_int_equal(json_array_get_length(json_node_get_array(test_path(root, "cookie_names"))),
                     32);
    harness_flow_free(flow);

    /* a URI longer than PTL_MAX_STRING is cut */
    flow = harness_flow_new(&http_tcp);
    g_autofree char *path = g_strnfill(1000, 'p');
    g_autofree char *req = g_strdup_printf("GET /%s HTTP/1.1\r\n\r\n", path);
    assert_true(test_feed_str(flow, TO_SERVER, req));
    g_autofree char *uri = test_string(flow, "transactions.0.uri");
    assert_int_equal(strlen(uri), PTL_MAX_STRING);
    harness_flow_free(flow);
}

static void
test_http_redaction(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_SERVER,
                              "GET http://bob:hunter2@h.example/x?user=bob&password=hunter2;"
                              "api_key=K1&monkey=ok#frag HTTP/1.1\r\n\r\n"));
    assert_json_string(flow, "transactions.0.uri",
                       "http://*@h.example/x?user=*&password=*;api_key=*&monkey=*");
    harness_flow_free(flow);
}

/* ---- secrets by allow-list (docs/secrets.md) ---- */

static void
test_http_auth_scheme_allow_list(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_SERVER,
                              /* an API token with no scheme word: read as an unknown scheme */
                              "GET /1 HTTP/1.1\r\nAuthorization: ghp_T0kenNoScheme\r\n\r\n"
                              /* an unknown scheme word is not echoed either */
                              "GET /2 HTTP/1.1\r\nAuthorization: Zyx-Secretword c2VjcmV0\r\n\r\n"
                              /* registered names match case-insensitively, emitted as listed */
                              "GET /3 HTTP/1.1\r\nAuthorization: bEaReR tok3nValue\r\n\r\n"
                              "GET /4 HTTP/1.1\r\nAuthorization: aws4-hmac-sha256 "
                              "Credential=AKIAEXAMPLEKEY/20240501/us-east-1/s3/aws4_request, "
                              "Signature=fe5f80f77d5fa3beca038a248ff027\r\n\r\n"
                              "GET /5 HTTP/1.1\r\nProxy-Authorization: NTLM TlRMTVNTUAAB\r\n\r\n"
                              "GET /6 HTTP/1.1\r\nProxy-Authorization: ghp_ProxyT0ken\r\n\r\n"));
    assert_json_string(flow, "auth_schemes.0", "other");
    assert_json_string(flow, "auth_schemes.1", "Bearer");
    assert_json_string(flow, "auth_schemes.2", "AWS4-HMAC-SHA256");
    assert_json_string(flow, "auth_schemes.3", "Proxy-NTLM");
    assert_json_string(flow, "auth_schemes.4", "Proxy-other");
    assert_true(harness_flow_has_fact(flow, PTL_FACT_CLEARTEXT_AUTH, "HTTP other"));
    assert_true(harness_flow_has_fact(flow, PTL_FACT_CLEARTEXT_AUTH, "HTTP Bearer token"));
    assert_true(harness_flow_has_fact(flow, PTL_FACT_CLEARTEXT_AUTH, "HTTP AWS4-HMAC-SHA256"));
    assert_true(harness_flow_has_fact(flow, PTL_FACT_CLEARTEXT_AUTH, "HTTP Proxy-other"));
    static const char *const secrets[] = { "ghp_", "T0ken", "Zyx", "Secretword", "c2VjcmV0",
                                           "tok3n", "AKIA", "fe5f80f7", "TlRMTVNTUAAB" };
    for (gsize i = 0; i < G_N_ELEMENTS(secrets); i++)
        harness_assert_not_emitted(flow, secrets[i]);
    harness_flow_free(flow);
}

/* One Authorization value; the fact it raises must be `want` exactly. */
static void
assert_auth_fact(const char *value, const char *want, const char *secret)
{
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    g_autofree char *req = g_strdup_printf("GET / HTTP/1.1\r\nAuthorization: %s\r\n\r\n", value);
    assert_true(test_feed_str(flow, TO_SERVER, req));
    assert_int_equal(harness_flow_count_facts_with_prefix(flow, "CLEARTEXT_AUTH"), 1);
    if (!harness_flow_has_fact(flow, PTL_FACT_CLEARTEXT_AUTH, want)) {
        g_autofree char *facts = harness_flow_facts_text(flow);
        fail_msg("%s: want \"%s\", got %s", value, want, facts);
    }
    harness_assert_not_emitted(flow, secret);
    harness_flow_free(flow);
}

static void
test_http_auth_user_rules(void **unused)
{
    (void) unused;
    /* Basic: the part before ':' when it is a printable name of at most 64 bytes */
    assert_auth_fact("Basic YWxpY2U6cGFzc3dvcmQx", "HTTP Basic user alice", "password1");
    assert_auth_fact("Basic asO2cmc6cDRzcw==", "HTTP Basic user j\xc3\xb6rg", "p4ss");
    /* "a\tb:pw", "\xff\xfe:pw": not a printable UTF-8 name, so no user */
    assert_auth_fact("Basic YQliOnB3", "HTTP Basic", "pw");
    assert_auth_fact("Basic //46cHc=", "HTTP Basic", "pw");
    /* 70 x 'u' then ":pw": longer than a user name, more likely a token */
    assert_auth_fact("Basic dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1"
                     "dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dTpwdw==", "HTTP Basic", "uuuuuuuu");
    /* "sk_live_4eC39HqLyjWDarjtT1zdp7dc:" - an empty password: the user is the key */
    assert_auth_fact("Basic c2tfbGl2ZV80ZUMzOUhxTHlqV0Rhcmp0VDF6ZHA3ZGM6", "HTTP Basic",
                     "sk_live");
    /* no ':' in the decoded bytes: nothing is a user */
    assert_auth_fact("Basic c2VjcmV0dG9rZW4=", "HTTP Basic", "secrettoken");
    /* Digest: username, quoted (with an escape) or as a token; never response/cnonce */
    assert_auth_fact("Digest realm=\"r\", username=\"bo\\\"b\", response=\"6629fae49393a053\", "
                     "cnonce=\"0a4f113b\"", "HTTP Digest user bo\"b", "6629fae4");
    assert_auth_fact("Digest username=carol,response=6629fae49393a053", "HTTP Digest user carol",
                     "6629fae4");
    /* a hashed or only-extended username is not a name */
    assert_auth_fact("Digest username=\"488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62d"
                     "cea254ec\", userhash=true, response=\"6629fae49393a053\"", "HTTP Digest",
                     "488869477bf2");
    assert_auth_fact("Digest username*=UTF-8''J%C3%A4s%C3%B8n, response=\"6629fae4\"",
                     "HTTP Digest", "J%C3%A4s");
}

static void
test_http_uri_allow_list(void **unused)
{
    (void) unused;
    static const struct {
        const char *target;
        const char *want;
    } cases[] = {
        /* path parameters keep their names, lose their values, in any case */
        { "/app;jsessionid=S1/x;JSESSIONID=S2;v", "/app;jsessionid=*/x;JSESSIONID=*;*" },
        /* every query value goes, whatever the name; a bare item is all value */
        { "/cb?code=S3&state=S4&ghpS5&&x=", "/cb?code=*&state=*&*&&x=*" },
        { "/sso?jwt=eyS6.S7.S8", "/sso?jwt=*" },
        /* names are printed percent-decoded ('+' is a space in a query: not a name) */
        { "/r?%70assword=S9&a+b=S10&%zz=S11", "/r?password=*&*=*&*=*" },
        /* a name outside the allow-list, or too long, is itself starred */
        { "/r?na%00me=S12&%3Cscript%3E=S13", "/r?*=*&*=*" },
        /* the fragment is dropped */
        { "/spa#access_token=S14", "/spa" },
        { "/spa?x=1#access_token=S15", "/spa?x=*" },
        /* absolute-form: userinfo starred, user and password alike */
        { "http://u:S16@h.example:8080/p;s=S17?q=S18", "http://*@h.example:8080/p;s=*?q=*" },
        /* a "://" inside an origin-form target is just path */
        { "/go?to=http://x:S19@y/", "/go?to=*" },
        { "h.example:443", "h.example:443" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        HarnessFlow *flow = harness_flow_new(&http_tcp);
        g_autofree char *req = g_strdup_printf("GET %s HTTP/1.1\r\n\r\n", cases[i].target);
        assert_true(test_feed_str(flow, TO_SERVER, req));
        assert_json_string(flow, "transactions.0.uri", cases[i].want);
        for (guint n = 1; n <= 19; n++) {
            /* "S1" would also match "S10": look for each marker with what follows it */
            g_autofree char *json = harness_flow_json(flow);
            for (const char *after = "/&;#?@.\""; *after != '\0'; after++) {
                g_autofree char *marked = g_strdup_printf("S%u%c", n, *after);
                assert_null(strstr(json, marked));
            }
        }
        harness_flow_free(flow);
    }
}

static void
test_http_headers_allow_list(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_SERVER,
                              "POST /login HTTP/1.1\r\nHost: u:hostpw@h.example\r\n"
                              "X-Api-Key: k3yValue\r\nReferer: https://a/?token=r3fValue\r\n"
                              "Cookie: SID=c00kieValue; %73ess=c00kie2; b<ad>=c00kie3; "
                              "c00kie4\r\n"
                              "Content-Type: application/x-www-form-urlencoded\r\n"
                              "Content-Length: 29\r\nUpgrade: sekr1tproto\r\n\r\n"
                              "user=alice&password=f0rmValue"));
    assert_true(test_feed_str(flow, TO_CLIENT,
                              "HTTP/1.1 302 Found\r\nLocation: /next?code=l0cValue\r\n"
                              "Set-Cookie: auth=s3tValue; Path=/\r\nContent-Length: 0\r\n\r\n"));
    assert_json_string(flow, "transactions.0.host", "*");
    assert_json_string(flow, "cookie_names.0", "SID");
    assert_json_string(flow, "cookie_names.1", "sess");
    assert_json_string(flow, "cookie_names.2", "*");  /* b<ad> and the bare c00kie4 */
    assert_json_string(flow, "cookie_names.3", "auth");
    static const char *const secrets[] = { "hostpw", "k3y", "r3f", "c00kie", "f0rm", "l0c",
                                           "s3t", "sekr1t" };
    for (gsize i = 0; i < G_N_ELEMENTS(secrets); i++)
        harness_assert_not_emitted(flow, secrets[i]);
    harness_flow_free(flow);

    /* an Upgrade protocol off the list is "other" */
    flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_SERVER, "GET / HTTP/1.1\r\nUpgrade: sekr1t\r\n\r\n"));
    assert_true(test_feed_str(flow, TO_CLIENT,
                              "HTTP/1.1 101 Switching\r\nUpgrade: sekr1t\r\n\r\n"));
    assert_json_string(flow, "upgraded", "other");
    harness_assert_not_emitted(flow, "sekr1t");
    harness_flow_free(flow);
}

/* Every credential form at once, cut anywhere: the same output, and never a secret. */
static const char secrets_requests[] =
    "GET /a;jsessionid=Q1?code=Q2#t=Q3 HTTP/1.1\r\n"
    "Authorization: Basic YWxpY2U6UTQ=\r\n"
    "Proxy-Authorization: Digest username=\"dave\", response=\"Q5\"\r\n"
    "Cookie: s=Q6\r\n"
    "\r\n"
    "GET /b HTTP/1.1\r\n"
    "Authorization: Q7token\r\n"
    "\r\n";
static const char secrets_responses[] =
    "HTTP/1.0 200 OK\r\nSet-Cookie: t=Q8\r\nContent-Length: 0\r\n\r\n"
    "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
static const HarnessSegment secrets_events[] = {
    EVENT(TO_SERVER, secrets_requests),
    EVENT(TO_CLIENT, secrets_responses),
};

static void
check_no_q_marker(const HarnessFlow *flow)
{
    g_autofree char *out = harness_flow_output(flow);
    for (guint n = 1; n <= 8; n++) {
        char marker[4];
        g_snprintf(marker, sizeof marker, "Q%u", n);
        if (strstr(out, marker) != NULL)
            fail_msg("secret %s emitted: %s", marker, out);
    }
}

static void
test_http_secrets_any_split(void **unused)
{
    (void) unused;
    HarnessScript script = HARNESS_SCRIPT(secrets_events);
    harness_assert_split_invariant(&http_tcp, &script, check_no_q_marker);
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    harness_flow_feed_segments(flow, secrets_events, G_N_ELEMENTS(secrets_events));
    assert_json_string(flow, "transactions.0.uri", "/a;jsessionid=*?code=*");
    assert_json_string(flow, "auth_users.0", "Basic alice");
    assert_json_string(flow, "auth_users.1", "Proxy-Digest dave");
    assert_json_string(flow, "auth_schemes.2", "other");
    harness_flow_free(flow);
}

static void
test_http_versions_apart(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_SERVER, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.0\r\n\r\n"));
    assert_true(test_feed_str(flow, TO_CLIENT, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"
                                               "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
    g_autofree char *json = harness_flow_json(flow);
    assert_non_null(strstr(json, "\"request_versions\":[\"HTTP/1.0\",\"HTTP/1.1\"]"));
    assert_non_null(strstr(json, "\"response_versions\":[\"HTTP/1.0\"]"));
    harness_flow_free(flow);
}

/* ---- holes and mid-stream pickup ---- */

static void
test_http_gap(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_SERVER, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"));
    assert_true(test_feed_str(flow, TO_CLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
                                               "0123456789"));
    /* a hole inside the body keeps the framing */
    assert_true(harness_flow_gap(flow, TO_CLIENT, 80));
    assert_true(test_feed_str(flow, TO_CLIENT, "0123456789HTTP/1.1 404 Not Found\r\n"
                                               "Content-Length: 0\r\n\r\n"));
    assert_int_equal(test_int(flow, "transactions.0.response_length"), 100);
    assert_int_equal(test_int(flow, "transactions.1.status"), 404);
    assert_int_equal(test_int(flow, "resyncs"), 0);
    /* a hole in the headers: skip junk lines up to the next request */
    assert_true(test_feed_str(flow, TO_SERVER, "GET /3 HTTP/1.1\r\nHost: a"));
    assert_true(harness_flow_gap(flow, TO_SERVER, 500));
    assert_true(test_feed_str(flow, TO_SERVER, "ost: lost\r\n\r\nbinary\001junk\r\n"
                                               "POST /4 HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
    assert_int_equal(test_int(flow, "resyncs"), 1);
    assert_json_string(flow, "transactions.2.uri", "/4");  /* /3 was lost in the hole */
    assert_int_equal(flow->pending[TO_SERVER]->len, 0);
    harness_flow_free(flow);
}

static void
test_http_midstream(void **unused)
{
    (void) unused;
    /* the answer is seen first; the client side starts inside a POST body */
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_CLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    assert_true(test_feed_str(flow, TO_SERVER,
                              "rest of an upload\r\nmore\r\nGET /n HTTP/1.1\r\n\r\n"));
    assert_int_equal(test_int(flow, "unrequested"), 1);
    assert_int_equal(test_int(flow, "resyncs"), 1);
    assert_int_equal(test_int(flow, "unanswered"), 1);
    assert_json_string(flow, "transactions.1.uri", "/n");
    harness_flow_free(flow);
}

/* ---- emit ---- */

static void
test_http_emit_fresh(void **unused)
{
    (void) unused;
    const PtlDissector *d = ptl_dissector_entry();
    gpointer state = d->state_new();
    g_autofree char *json = harness_emit_json(d, state);
    d->state_free(state);
    assert_string_equal(json,
                        "{\"request_versions\":[],\"response_versions\":[],\"requests\":0,"
                        "\"responses\":0,\"transactions\":[],"
                        "\"transactions_dropped\":0,\"methods\":{},\"status_codes\":{},"
                        "\"status_codes_dropped\":0,\"auth_schemes\":[],\"auth_schemes_dropped\":0,"
                        "\"auth_users\":[],\"auth_users_dropped\":0,\"cookie_names\":[],"
                        "\"cookie_names_dropped\":0,\"websocket\":false,"
                        "\"unanswered\":0,\"unrequested\":0,\"http09_responses\":0,"
                        "\"pipeline_dropped\":0,\"resyncs\":0}");
}

/* ---- records (docs/schema/http.schema.json) ---- */

/* One http_request per final answer, in request order; the 100 Continue makes none. */
static const char pipeline_records[] =
    "method=\"GET\" uri=\"/a?token=*&x=*\" request_version=\"HTTP/1.1\" request_body_bytes=0 "
    "latency_us=0 status=200 response_version=\"HTTP/1.1\" response_body_bytes=5\n"
    "method=\"HEAD\" uri=\"/b\" request_version=\"HTTP/1.1\" request_body_bytes=0 latency_us=0 "
    "status=200 response_version=\"HTTP/1.1\" response_body_bytes=0\n"
    "method=\"POST\" uri=\"/c\" request_version=\"HTTP/1.1\" request_body_bytes=11 latency_us=0 "
    "status=201 response_version=\"HTTP/1.1\" response_body_bytes=3\n";

static void
test_http_records_check(const HarnessFlow *flow)
{
    assert_int_equal(harness_flow_count_records(flow, "http_request"), 6);
    g_autofree char *summary = record_summary(flow, "http_request");
    assert_true(g_str_has_prefix(summary, pipeline_records));
    for (guint i = 0; i < 6; i++)
        assert_false(json_object_has_member(harness_flow_record(flow, "http_request", i),
                                            "response_until_close"));
}

static void
test_http_records_pipeline(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    harness_flow_feed_segments(flow, pipeline_events, G_N_ELEMENTS(pipeline_events));
    test_http_records_check(flow);
    JsonObject *last = harness_flow_record(flow, "http_request", 5);
    assert_string_equal(harness_obj_str(last, "method"), "other");
    assert_int_equal(harness_obj_int(last, "status"), 304);
    assert_int_equal(harness_obj_int(harness_flow_record(flow, "http_request", 4), "status"), 503);
    static const char *const secrets[] = { "open sesame", "S3CR3T", "XYZ", "dark", "abc&",
                                           "QWxhZGRpbjpvcGVuIHNlc2FtZQ", "sid=", "theme=" };
    for (gsize i = 0; i < G_N_ELEMENTS(secrets); i++)
        record_assert_not_recorded(flow, secrets[i]);
    harness_flow_free(flow);
}

/* Records are the same whatever the segmentation (checked inside the split runner too). */
static void
test_http_records_any_split(void **unused)
{
    (void) unused;
    HarnessScript script = HARNESS_SCRIPT(pipeline_events);
    harness_assert_split_invariant(&http_tcp, &script, test_http_records_check);
}

/* A request without an answer is counted, not recorded; its answer writes it later. */
static void
test_http_records_unanswered(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_SERVER, "GET /wait HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert_int_equal(harness_flow_count_records(flow, NULL), 0);
    assert_int_equal(test_int(flow, "unanswered"), 1);
    /* the header block alone ends nothing while the body is still to come */
    assert_true(test_feed_str(flow, TO_CLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"));
    assert_int_equal(harness_flow_count_records(flow, NULL), 0);
    assert_true(test_feed_str(flow, TO_CLIENT, "cd"));
    assert_int_equal(harness_flow_count_records(flow, "http_request"), 1);
    assert_int_equal(harness_obj_int(harness_flow_record(flow, "http_request", 0),
                                     "response_body_bytes"), 4);
    harness_flow_free(flow);
}

/* An answer that runs to the close is recorded at its header; one without a request has no
 * request members; the 101 of an upgrade is recorded before the stream goes opaque. */
static void
test_http_records_edges(void **unused)
{
    (void) unused;
    HarnessFlow *flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_SERVER, "GET / HTTP/1.0\r\n\r\n"));
    assert_true(test_feed_str(flow, TO_CLIENT, "HTTP/1.0 200 OK\r\n\r\nbody"));
    g_autofree char *until_close = record_summary(flow, "http_request");
    assert_string_equal(until_close, "method=\"GET\" uri=\"/\" request_version=\"HTTP/1.0\" "
                                     "request_body_bytes=0 latency_us=0 status=200 "
                                     "response_version=\"HTTP/1.0\" response_until_close=true\n");
    harness_flow_free(flow);

    flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_CLIENT, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
    g_autofree char *unrequested = record_summary(flow, "http_request");
    assert_string_equal(unrequested,
                        "status=404 response_version=\"HTTP/1.1\" response_body_bytes=0\n");
    harness_flow_free(flow);

    /* a body that ends inside a hole: gap() has no context, the next feed records it */
    flow = harness_flow_new(&http_tcp);
    assert_true(test_feed_str(flow, TO_SERVER, "GET /g HTTP/1.1\r\n\r\n"));
    assert_true(test_feed_str(flow, TO_CLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd"));
    assert_true(harness_flow_gap(flow, TO_CLIENT, 6));
    assert_int_equal(harness_flow_count_records(flow, NULL), 0);
    assert_true(test_feed_str(flow, TO_SERVER, "GET /h HTTP/1.1\r\n\r\n"));
    assert_int_equal(harness_flow_count_records(flow, "http_request"), 1);
    JsonObject *cut = harness_flow_record(flow, "http_request", 0);
    assert_string_equal(harness_obj_str(cut, "uri"), "/g");
    assert_int_equal(harness_obj_int(cut, "response_body_bytes"), 10);
    harness_flow_free(flow);

    flow = harness_flow_new(&http_tcp);
    harness_flow_feed_segments(flow, h2c_events, G_N_ELEMENTS(h2c_events));
    assert_int_equal(harness_flow_count_records(flow, "http_request"), 1);
    assert_int_equal(harness_obj_int(harness_flow_record(flow, "http_request", 0), "status"), 101);
    harness_flow_free(flow);
}

/* The core's record cap: nothing is built, and the flow JSON does not change.  The pipeline
 * table's own cap: requests past it are counted (pipeline_dropped) and have no record. */
static void
test_http_records_caps(void **unused)
{
    (void) unused;
    HarnessScript script = HARNESS_SCRIPT(pipeline_events);
    record_assert_refused_same(&http_tcp, &script);

    HarnessFlow *flow = harness_flow_new(&http_tcp);
    GString *requests = g_string_new(NULL);
    GString *answers = g_string_new(NULL);
    for (guint i = 0; i < 70; i++) {
        g_string_append_printf(requests, "GET /%u HTTP/1.1\r\nHost: a\r\n\r\n", i);
        g_string_append(answers, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    }
    assert_true(test_feed(flow, TO_SERVER, requests->str, requests->len));
    assert_true(test_feed(flow, TO_CLIENT, answers->str, answers->len));
    assert_int_equal(test_int(flow, "pipeline_dropped"), 6);
    assert_int_equal(harness_flow_count_records(flow, "http_request"), 70);
    assert_string_equal(harness_obj_str(harness_flow_record(flow, "http_request", 63), "uri"),
                        "/63");
    assert_false(json_object_has_member(harness_flow_record(flow, "http_request", 64), "uri"));
    g_string_free(requests, TRUE);
    g_string_free(answers, TRUE);
    harness_flow_free(flow);
}

static void
test_http_descriptor(void **unused)
{
    (void) unused;
    const PtlDissector *d = ptl_dissector_entry();
    harness_assert_descriptor(d, "http", "1.0.0", FALSE);
    assert_int_equal(d->default_ports[0], 80);
    gsize n = 0;
    while (d->default_ports[n] != 0)
        n++;
    assert_int_equal(n, 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_descriptor),
        cmocka_unit_test(test_http_records_pipeline),
        cmocka_unit_test(test_http_records_any_split),
        cmocka_unit_test(test_http_records_unanswered),
        cmocka_unit_test(test_http_records_edges),
        cmocka_unit_test(test_http_records_caps),
        cmocka_unit_test(test_http_probe_yes),
        cmocka_unit_test(test_http_probe_maybe),
        cmocka_unit_test(test_http_probe_no),
        cmocka_unit_test(test_http_feed_any_split),
        cmocka_unit_test(test_http_feed_bytewise),
        cmocka_unit_test(test_http_feed_truncated),
        cmocka_unit_test(test_http_real_lines_split),
        cmocka_unit_test(test_http_real_reply_first),
        cmocka_unit_test(test_http_real_100_continue),
        cmocka_unit_test(test_http_real_websocket),
        cmocka_unit_test(test_http_real_http09),
        cmocka_unit_test(test_http_pipeline),
        cmocka_unit_test(test_http_facts),
        cmocka_unit_test(test_http_connect_tunnel),
        cmocka_unit_test(test_http_h2c_upgrade),
        cmocka_unit_test(test_http_until_close),
        cmocka_unit_test(test_http_malformed),
        cmocka_unit_test(test_http_caps),
        cmocka_unit_test(test_http_redaction),
        cmocka_unit_test(test_http_auth_scheme_allow_list),
        cmocka_unit_test(test_http_auth_user_rules),
        cmocka_unit_test(test_http_uri_allow_list),
        cmocka_unit_test(test_http_headers_allow_list),
        cmocka_unit_test(test_http_secrets_any_split),
        cmocka_unit_test(test_http_versions_apart),
        cmocka_unit_test(test_http_gap),
        cmocka_unit_test(test_http_midstream),
        cmocka_unit_test(test_http_emit_fresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
