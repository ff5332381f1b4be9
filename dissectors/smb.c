/* smb.c: SMB1, SMB2/3 over NetBIOS session service or direct TCP, NetBIOS name
 * service (UDP 137) and datagram service (UDP 138).
 *
 * TCP: every message is a 4-byte NetBIOS header (type, 24-bit length) and a body.
 * Bodies up to SMB_WHOLE_MAX are parsed whole; larger ones (READ/WRITE data) are
 * parsed in their first SMB_HEAD_WINDOW bytes and the rest is skipped, so the
 * result never depends on how the stream was cut.  A stream that starts mid-PDU
 * (or resumes after a hole) is scanned for the next header that cannot be
 * mistaken: NetBIOS length, an SMB signature and a valid SMB header. */
#include <string.h>

#include "ptl-cursor.h"
#include "ptl-module.h"
#include "ptl-redact.h"

/* largest multi-credit READ/WRITE (8 MiB) plus headers; direct TCP allows 24 bits */
#define SMB_MAX_PDU         (8u * 1024 * 1024 + 64 * 1024)
/* RFC 1002 session service: 17-bit length */
#define SMB_MAX_NBSS_PDU    0x1FFFFu
/* session request, responses, retarget and keepalive are small */
#define SMB_MAX_NBSS_CTRL   1024u
#define SMB_WHOLE_MAX       (64u * 1024)
#define SMB_HEAD_WINDOW     4096u
#define SMB_NBSS_HEADER     4u
#define SMB2_HEADER_SIZE    64u
#define SMB1_HEADER_SIZE    32u
#define SMB_TRANSFORM_SIZE  52u
#define SMB_COMPRESS_SIZE   16u
#define SMB1_MAX_ANDX       8u
#define SMB_MAX_WIRE_DIALECTS 64u
#define SMB_NBNS_MAX_RECORDS  16u
#define SMB_NB_MAX_NAME     255u

/* per-flow caps */
#define SMB_MAX_DIALECTS    16u
#define SMB_MAX_SHARES      32u
#define SMB_MAX_FILES       64u
#define SMB_MAX_USERS       16u
#define SMB_MAX_NAMES       32u
#define SMB_MAX_STATUSES    32u
#define SMB_MAX_PENDING     64u       /* SMB2 requests awaiting their response */
#define SMB_MAX_TREES       32u       /* SMB2 tree ids named by a TREE_CONNECT */

#define SMB2_FLAGS_SERVER_TO_REDIR 0x00000001u
#define SMB2_FLAGS_ASYNC_COMMAND   0x00000002u
#define SMB2_FLAGS_SIGNED          0x00000008u
#define SMB2_GLOBAL_CAP_ENCRYPTION 0x00000040u
#define SMB2_SESSION_FLAG_IS_GUEST 0x0001u
#define SMB2_SESSION_FLAG_IS_NULL  0x0002u
#define SMB2_SESSION_FLAG_ENCRYPT  0x0004u
#define SMB1_FLAGS_REPLY           0x80u
#define SMB1_FLAGS2_SIGNATURE      0x0004u
#define SMB1_FLAGS2_NT_STATUS      0x4000u
#define SMB1_FLAGS2_UNICODE        0x8000u
#define SMB1_SECMODE_CHALLENGE     0x02u
#define SMB1_SECMODE_SIGN_ENABLED  0x04u
#define SMB1_SECMODE_SIGN_REQUIRED 0x08u
#define SMB_NTLMSSP_UNICODE        0x00000001u

#define SMB_STATUS_PENDING         0x00000103u
#define SMB_STATUS_MORE_PROCESSING 0xC0000016u

typedef enum {
    SMB_MAGIC_NONE,
    SMB_MAGIC_SMB1,       /* 0xFF 'SMB' */
    SMB_MAGIC_SMB2,       /* 0xFE 'SMB' */
    SMB_MAGIC_TRANSFORM,  /* 0xFD 'SMB': SMB3 encrypted */
    SMB_MAGIC_COMPRESSED, /* 0xFC 'SMB': SMB 3.1.1 compressed */
} SmbMagic;

/* Status keys live in separate name spaces so one table holds them all. */
typedef enum {
    SMB_STATUS_NT,
    SMB_STATUS_DOS,
    SMB_STATUS_NBNS,
    SMB_STATUS_NBSS,
} SmbStatusSpace;

typedef enum { SMB_SYNC_START, SMB_SYNC_LOCKED, SMB_SYNC_SCANNING } SmbSync;
typedef enum { SMB_CHECK_NO, SMB_CHECK_MORE, SMB_CHECK_YES } SmbCheck;

typedef struct {
    SmbSync  sync;
    guint32  skip_left;      /* body bytes of a large message still to discard */
    guint64  scanned;        /* bytes discarded while looking for a header */
} SmbDirState;

typedef struct {
    guint64 key;             /* space << 32 | code */
    guint64 count;
} SmbStatusCount;

typedef struct {
    const char *name;
} SmbSmb2Command;

typedef struct {
    guint8      code;
    const char *name;
} SmbSmb1Command;

typedef struct {
    guint32     code;
    const char *name;
    gboolean    is_failure;  /* an error a rule should see (REQUEST_FAILED) */
} SmbNtStatus;

typedef struct {
    guint16     code;
    const char *name;
} SmbCodeName;

/* An SMB2 request awaiting its response, matched by MessageId. */
typedef struct {
    guint64 message_id;
    gint64  ts_ns;
    guint16 command;
    gint16  share;           /* index in shares: the tree's, or a TREE_CONNECT's path */
} SmbPending;

typedef struct {
    guint32 tree_id;
    gint16  share;
} SmbTree;

#define SMB2_COMMAND_COUNT 19u
#define SMB1_COMMAND_COUNT 58u

typedef struct {
    SmbDirState dirs[2];
    gboolean    is_confirmed;
    gboolean    has_smb1;
    gboolean    has_smb2;
    gboolean    has_encrypted_fact;
    gboolean    has_cleartext_fact;
    gboolean    has_negotiate_response;
    gboolean    is_signing_enabled;
    gboolean    is_signing_required;
    gboolean    is_encryption_capable;
    gboolean    is_session_encrypted;
    gboolean    is_smb1_plaintext;     /* SMB1 server did not ask for challenge/response */
    guint16     smb2_dialect;          /* 0 until a NEGOTIATE response */
    gint        smb1_dialect;          /* index in dialects_offered, or -1 */
    gint        smb1_offered[SMB_MAX_WIRE_DIALECTS]; /* request position -> list index */
    guint       smb1_offered_n;
    guint64     smb2_commands[SMB2_COMMAND_COUNT + 1];  /* last: unknown */
    guint64     smb1_commands[SMB1_COMMAND_COUNT + 1];  /* last: unknown */
    guint64     responses;
    guint64     signed_messages;
    guint64     encrypted_messages;
    guint64     compressed_messages;
    guint64     guest_sessions;
    guint64     null_sessions;
    guint64     nbns_opcodes[16];
    guint64     nbns_responses;
    guint64     nbdgm_datagrams;
    PtlNameCounts dialects_offered;
    PtlNameCounts shares;
    PtlNameCounts files;
    PtlNameCounts users;
    PtlNameCounts names;
    char       *called;
    char       *calling;
    SmbStatusCount statuses[SMB_MAX_STATUSES];
    guint       n_statuses;
    guint64     statuses_dropped;
    SmbPending  pending[SMB_MAX_PENDING];
    guint       n_pending;
    guint64     pending_dropped;
    SmbTree     trees[SMB_MAX_TREES];
    guint       n_trees;
    guint64     trees_dropped;
} SmbState;

/* A UTF-8 string built on the stack, cut at PTL_MAX_STRING on a character boundary. */
typedef struct {
    char  buf[PTL_MAX_STRING + 1];
    gsize len;
} SmbText;

static const guint16 smb_ports[] = { 445, 139, 137, 138, 0 };

static const SmbSmb2Command smb_smb2_commands[] = {
    { "NEGOTIATE" }, { "SESSION_SETUP" }, { "LOGOFF" }, { "TREE_CONNECT" },
    { "TREE_DISCONNECT" }, { "CREATE" }, { "CLOSE" }, { "FLUSH" }, { "READ" }, { "WRITE" },
    { "LOCK" }, { "IOCTL" }, { "CANCEL" }, { "ECHO" }, { "QUERY_DIRECTORY" },
    { "CHANGE_NOTIFY" }, { "QUERY_INFO" }, { "SET_INFO" }, { "OPLOCK_BREAK" },
    { "SMB2_UNKNOWN" },
};
G_STATIC_ASSERT(G_N_ELEMENTS(smb_smb2_commands) == SMB2_COMMAND_COUNT + 1);

static const SmbSmb1Command smb_smb1_commands[] = {
    { 0x00, "SMB_COM_CREATE_DIRECTORY" }, { 0x01, "SMB_COM_DELETE_DIRECTORY" },
    { 0x02, "SMB_COM_OPEN" }, { 0x03, "SMB_COM_CREATE" }, { 0x04, "SMB_COM_CLOSE" },
    { 0x05, "SMB_COM_FLUSH" }, { 0x06, "SMB_COM_DELETE" }, { 0x07, "SMB_COM_RENAME" },
    { 0x08, "SMB_COM_QUERY_INFORMATION" }, { 0x09, "SMB_COM_SET_INFORMATION" },
    { 0x0A, "SMB_COM_READ" }, { 0x0B, "SMB_COM_WRITE" }, { 0x0C, "SMB_COM_LOCK_BYTE_RANGE" },
    { 0x0D, "SMB_COM_UNLOCK_BYTE_RANGE" }, { 0x0E, "SMB_COM_CREATE_TEMPORARY" },
    { 0x0F, "SMB_COM_CREATE_NEW" }, { 0x10, "SMB_COM_CHECK_DIRECTORY" },
    { 0x11, "SMB_COM_PROCESS_EXIT" }, { 0x12, "SMB_COM_SEEK" },
    { 0x13, "SMB_COM_LOCK_AND_READ" }, { 0x14, "SMB_COM_WRITE_AND_UNLOCK" },
    { 0x1A, "SMB_COM_READ_RAW" }, { 0x1D, "SMB_COM_WRITE_RAW" },
    { 0x22, "SMB_COM_SET_INFORMATION2" }, { 0x23, "SMB_COM_QUERY_INFORMATION2" },
    { 0x24, "SMB_COM_LOCKING_ANDX" }, { 0x25, "SMB_COM_TRANSACTION" },
    { 0x26, "SMB_COM_TRANSACTION_SECONDARY" }, { 0x27, "SMB_COM_IOCTL" },
    { 0x2B, "SMB_COM_ECHO" }, { 0x2C, "SMB_COM_WRITE_AND_CLOSE" },
    { 0x2D, "SMB_COM_OPEN_ANDX" }, { 0x2E, "SMB_COM_READ_ANDX" },
    { 0x2F, "SMB_COM_WRITE_ANDX" }, { 0x32, "SMB_COM_TRANSACTION2" },
    { 0x33, "SMB_COM_TRANSACTION2_SECONDARY" }, { 0x34, "SMB_COM_FIND_CLOSE2" },
    { 0x70, "SMB_COM_TREE_CONNECT" }, { 0x71, "SMB_COM_TREE_DISCONNECT" },
    { 0x72, "SMB_COM_NEGOTIATE" }, { 0x73, "SMB_COM_SESSION_SETUP_ANDX" },
    { 0x74, "SMB_COM_LOGOFF_ANDX" }, { 0x75, "SMB_COM_TREE_CONNECT_ANDX" },
    { 0x80, "SMB_COM_QUERY_INFORMATION_DISK" }, { 0x81, "SMB_COM_SEARCH" },
    { 0x82, "SMB_COM_FIND" }, { 0x83, "SMB_COM_FIND_UNIQUE" }, { 0x84, "SMB_COM_FIND_CLOSE" },
    { 0xA0, "SMB_COM_NT_TRANSACT" }, { 0xA1, "SMB_COM_NT_TRANSACT_SECONDARY" },
    { 0xA2, "SMB_COM_NT_CREATE_ANDX" }, { 0xA4, "SMB_COM_NT_CANCEL" },
    { 0xA5, "SMB_COM_NT_RENAME" }, { 0xC0, "SMB_COM_OPEN_PRINT_FILE" },
    { 0xC1, "SMB_COM_WRITE_PRINT_FILE" }, { 0xC2, "SMB_COM_CLOSE_PRINT_FILE" },
    { 0xD8, "SMB_COM_READ_BULK" }, { 0xFE, "SMB_COM_INVALID" },
    { 0xFF, "SMB_COM_UNKNOWN" },                 /* not a command: the unknown slot */
};
G_STATIC_ASSERT(G_N_ELEMENTS(smb_smb1_commands) == SMB1_COMMAND_COUNT + 1);

/* Warnings and errors worth naming.  Not failures: MORE_PROCESSING_REQUIRED
 * (a session setup round trip), END_OF_FILE and CANCELLED (normal ends of read
 * and notify loops), and the warnings.  OBJECT_NAME_NOT_FOUND stays a failure:
 * probing for names that do not exist is what a rule wants to see. */
static const SmbNtStatus smb_nt_statuses[] = {
    { 0x0000010B, "STATUS_NOTIFY_CLEANUP", FALSE },
    { 0x0000010C, "STATUS_NOTIFY_ENUM_DIR", FALSE },
    { 0x80000005, "STATUS_BUFFER_OVERFLOW", FALSE },
    { 0x80000006, "STATUS_NO_MORE_FILES", FALSE },
    { 0x8000001A, "STATUS_NO_MORE_ENTRIES", FALSE },
    { 0xC0000001, "STATUS_UNSUCCESSFUL", TRUE },
    { 0xC0000002, "STATUS_NOT_IMPLEMENTED", TRUE },
    { 0xC0000003, "STATUS_INVALID_INFO_CLASS", TRUE },
    { 0xC0000008, "STATUS_INVALID_HANDLE", TRUE },
    { 0xC000000D, "STATUS_INVALID_PARAMETER", TRUE },
    { 0xC000000E, "STATUS_NO_SUCH_DEVICE", TRUE },
    { 0xC000000F, "STATUS_NO_SUCH_FILE", TRUE },
    { 0xC0000010, "STATUS_INVALID_DEVICE_REQUEST", TRUE },
    { 0xC0000011, "STATUS_END_OF_FILE", FALSE },
    { 0xC0000016, "STATUS_MORE_PROCESSING_REQUIRED", FALSE },
    { 0xC0000017, "STATUS_NO_MEMORY", TRUE },
    { 0xC0000022, "STATUS_ACCESS_DENIED", TRUE },
    { 0xC0000023, "STATUS_BUFFER_TOO_SMALL", TRUE },
    { 0xC0000033, "STATUS_OBJECT_NAME_INVALID", TRUE },
    { 0xC0000034, "STATUS_OBJECT_NAME_NOT_FOUND", TRUE },
    { 0xC0000035, "STATUS_OBJECT_NAME_COLLISION", TRUE },
    { 0xC000003A, "STATUS_OBJECT_PATH_NOT_FOUND", TRUE },
    { 0xC0000043, "STATUS_SHARING_VIOLATION", TRUE },
    { 0xC0000054, "STATUS_FILE_LOCK_CONFLICT", TRUE },
    { 0xC0000055, "STATUS_LOCK_NOT_GRANTED", TRUE },
    { 0xC0000056, "STATUS_DELETE_PENDING", TRUE },
    { 0xC000005E, "STATUS_NO_LOGON_SERVERS", TRUE },
    { 0xC0000061, "STATUS_PRIVILEGE_NOT_HELD", TRUE },
    { 0xC0000064, "STATUS_NO_SUCH_USER", TRUE },
    { 0xC000006A, "STATUS_WRONG_PASSWORD", TRUE },
    { 0xC000006D, "STATUS_LOGON_FAILURE", TRUE },
    { 0xC000006E, "STATUS_ACCOUNT_RESTRICTION", TRUE },
    { 0xC000006F, "STATUS_INVALID_LOGON_HOURS", TRUE },
    { 0xC0000070, "STATUS_INVALID_WORKSTATION", TRUE },
    { 0xC0000071, "STATUS_PASSWORD_EXPIRED", TRUE },
    { 0xC0000072, "STATUS_ACCOUNT_DISABLED", TRUE },
    { 0xC000009A, "STATUS_INSUFFICIENT_RESOURCES", TRUE },
    { 0xC00000AC, "STATUS_PIPE_NOT_AVAILABLE", TRUE },
    { 0xC00000AD, "STATUS_INVALID_PIPE_STATE", TRUE },
    { 0xC00000B0, "STATUS_PIPE_DISCONNECTED", TRUE },
    { 0xC00000B1, "STATUS_PIPE_CLOSING", TRUE },
    { 0xC00000B5, "STATUS_IO_TIMEOUT", TRUE },
    { 0xC00000BA, "STATUS_FILE_IS_A_DIRECTORY", TRUE },
    { 0xC00000BB, "STATUS_NOT_SUPPORTED", TRUE },
    { 0xC00000BE, "STATUS_BAD_NETWORK_PATH", TRUE },
    { 0xC00000C3, "STATUS_INVALID_NETWORK_RESPONSE", TRUE },
    { 0xC00000C9, "STATUS_NETWORK_NAME_DELETED", TRUE },
    { 0xC00000CA, "STATUS_NETWORK_ACCESS_DENIED", TRUE },
    { 0xC00000CC, "STATUS_BAD_NETWORK_NAME", TRUE },
    { 0xC00000D0, "STATUS_REQUEST_NOT_ACCEPTED", TRUE },
    { 0xC00000D9, "STATUS_PIPE_EMPTY", TRUE },
    { 0xC00000E5, "STATUS_INTERNAL_ERROR", TRUE },
    { 0xC0000101, "STATUS_DIRECTORY_NOT_EMPTY", TRUE },
    { 0xC0000103, "STATUS_NOT_A_DIRECTORY", TRUE },
    { 0xC0000120, "STATUS_CANCELLED", FALSE },
    { 0xC0000128, "STATUS_FILE_CLOSED", TRUE },
    { 0xC0000148, "STATUS_INVALID_LEVEL", TRUE },
    { 0xC000014B, "STATUS_PIPE_BROKEN", TRUE },
    { 0xC000015B, "STATUS_LOGON_TYPE_NOT_GRANTED", TRUE },
    { 0xC0000184, "STATUS_INVALID_DEVICE_STATE", TRUE },
    { 0xC0000193, "STATUS_ACCOUNT_EXPIRED", TRUE },
    { 0xC0000203, "STATUS_USER_SESSION_DELETED", TRUE },
    { 0xC0000205, "STATUS_INSUFF_SERVER_RESOURCES", TRUE },
    { 0xC0000224, "STATUS_PASSWORD_MUST_CHANGE", TRUE },
    { 0xC0000225, "STATUS_NOT_FOUND", TRUE },
    { 0xC0000234, "STATUS_ACCOUNT_LOCKED_OUT", TRUE },
    { 0xC0000257, "STATUS_PATH_NOT_COVERED", TRUE },
    { 0xC000035C, "STATUS_NETWORK_SESSION_EXPIRED", TRUE },
    { 0xC000A000, "STATUS_INVALID_SIGNATURE", TRUE },
};

/* SMB1 DOS errors: class << 16 | code */
static const SmbNtStatus smb_dos_errors[] = {
    { 0x00010002, "ERRDOS/ERRbadfile", TRUE },
    { 0x00010003, "ERRDOS/ERRbadpath", TRUE },
    { 0x00010004, "ERRDOS/ERRnofids", TRUE },
    { 0x00010005, "ERRDOS/ERRnoaccess", TRUE },
    { 0x00010006, "ERRDOS/ERRbadfid", TRUE },
    { 0x00010012, "ERRDOS/ERRnofiles", FALSE },
    { 0x00010032, "ERRDOS/ERRunsup", TRUE },
    { 0x00010050, "ERRDOS/ERRfilexists", TRUE },
    { 0x00010057, "ERRDOS/ERRinvalidparam", TRUE },
    { 0x00020001, "ERRSRV/ERRerror", TRUE },
    { 0x00020002, "ERRSRV/ERRbadpw", TRUE },
    { 0x00020004, "ERRSRV/ERRaccess", TRUE },
    { 0x00020005, "ERRSRV/ERRinvtid", TRUE },
    { 0x00020006, "ERRSRV/ERRinvnetname", TRUE },
    { 0x00020016, "ERRSRV/ERRsmbcmd", TRUE },
    { 0x0002005B, "ERRSRV/ERRbaduid", TRUE },
    { 0x0002FFFF, "ERRSRV/ERRnosupport", TRUE },
};

static const SmbNtStatus smb_nbns_rcodes[] = {
    { 1, "NBNS_FMT_ERR", TRUE }, { 2, "NBNS_SRV_ERR", TRUE }, { 3, "NBNS_NAM_ERR", TRUE },
    { 4, "NBNS_IMP_ERR", TRUE }, { 5, "NBNS_RFS_ERR", TRUE }, { 6, "NBNS_ACT_ERR", TRUE },
    { 7, "NBNS_CFT_ERR", TRUE },
};

static const SmbNtStatus smb_nbss_errors[] = {
    { 0x80, "NBSS_NOT_LISTENING_ON_CALLED_NAME", TRUE },
    { 0x81, "NBSS_NOT_LISTENING_FOR_CALLING_NAME", TRUE },
    { 0x82, "NBSS_CALLED_NAME_NOT_PRESENT", TRUE },
    { 0x83, "NBSS_INSUFFICIENT_RESOURCES", TRUE },
    { 0x8F, "NBSS_UNSPECIFIED_ERROR", TRUE },
};

static const SmbCodeName smb_smb2_dialects[] = {
    { 0x0202, "2.0.2" }, { 0x0210, "2.1" }, { 0x0222, "2.2.2" }, { 0x0224, "2.2.4" },
    { 0x02FF, "2.???" }, { 0x0300, "3.0" }, { 0x0302, "3.0.2" }, { 0x0310, "3.1.0" },
    { 0x0311, "3.1.1" },
};

static const char *const smb_nbns_opcode_names[16] = {
    [0] = "query", [5] = "registration", [6] = "release", [7] = "wack",
    [8] = "refresh", [9] = "refresh", [15] = "multihomed_registration",
};

/* ---- small helpers ------------------------------------------------------- */

/* A child cursor over [off, off + n) of c's bytes, positions counted from off. */
static PtlCursor
smb_slice(const PtlCursor *c, gsize off, gsize n)
{
    PtlCursor all = ptl_cursor_init(c->data, c->len);
    ptl_cursor_skip(&all, off);
    return ptl_cursor_sub(&all, n);
}

/* From off to the end of c. */
static PtlCursor
smb_tail(const PtlCursor *c, gsize off)
{
    return smb_slice(c, off, off <= c->len ? c->len - off : 1);
}

static SmbMagic
smb_magic(PtlCursor *c)
{
    const guint8 *p = ptl_cursor_take(c, 4);
    if (p == NULL || p[1] != 'S' || p[2] != 'M' || p[3] != 'B')
        return SMB_MAGIC_NONE;
    switch (p[0]) {
    case 0xFF: return SMB_MAGIC_SMB1;
    case 0xFE: return SMB_MAGIC_SMB2;
    case 0xFD: return SMB_MAGIC_TRANSFORM;
    case 0xFC: return SMB_MAGIC_COMPRESSED;
    default:   return SMB_MAGIC_NONE;
    }
}

static gint
smb_smb1_command_index(guint8 code)
{
    for (guint i = 0; i < SMB1_COMMAND_COUNT; i++) {
        if (smb_smb1_commands[i].code == code)
            return (gint) i;
    }
    return -1;
}

static const SmbNtStatus *
smb_status_lookup(guint64 key)
{
    guint32 code = (guint32) key;
    const SmbNtStatus *table = smb_nt_statuses;
    gsize n = G_N_ELEMENTS(smb_nt_statuses);
    switch ((SmbStatusSpace) (key >> 32)) {
    case SMB_STATUS_NT:
        break;
    case SMB_STATUS_DOS:
        table = smb_dos_errors;
        n = G_N_ELEMENTS(smb_dos_errors);
        break;
    case SMB_STATUS_NBNS:
        table = smb_nbns_rcodes;
        n = G_N_ELEMENTS(smb_nbns_rcodes);
        break;
    case SMB_STATUS_NBSS:
        table = smb_nbss_errors;
        n = G_N_ELEMENTS(smb_nbss_errors);
        break;
    }
    for (gsize i = 0; i < n; i++) {
        if (table[i].code == code)
            return &table[i];
    }
    return NULL;
}

/* Name of a status key into buf (unknown ones as "0xC00000FF" or "ERRDOS/0x0002"). */
static const char *
smb_status_name(guint64 key, char buf[32])
{
    const SmbNtStatus *known = smb_status_lookup(key);
    if (known != NULL)
        return known->name;
    static const char hex[] = "0123456789ABCDEF";
    static const char *const prefixes[] = { "0x", "DOS_0x", "NBNS_0x", "NBSS_0x" };
    g_strlcpy(buf, prefixes[(key >> 32) & 3], 32);
    gsize at = strlen(buf);
    guint32 code = (guint32) key;
    for (gint shift = 28; shift >= 0; shift -= 4)
        buf[at++] = hex[(code >> shift) & 0xF];
    buf[at] = '\0';
    return buf;
}

static const char *
smb_dialect_name(guint16 dialect)
{
    for (gsize i = 0; i < G_N_ELEMENTS(smb_smb2_dialects); i++) {
        if (smb_smb2_dialects[i].code == dialect)
            return smb_smb2_dialects[i].name;
    }
    return NULL;
}

/* ---- text ---------------------------------------------------------------- */

static void
smb_text_put(SmbText *t, gunichar ch)
{
    char tmp[6];
    gint n = g_unichar_to_utf8(ch, tmp);
    if ((gsize) n > PTL_MAX_STRING - t->len)
        return;
    memcpy(t->buf + t->len, tmp, (gsize) n);
    t->len += (gsize) n;
    t->buf[t->len] = '\0';
}

/* UTF-16LE from c, at most max_bytes, stopping after a NUL when stop_at_nul. */
static void
smb_text_utf16(SmbText *t, PtlCursor *c, gsize max_bytes, gboolean stop_at_nul)
{
    gsize end = c->pos + MIN(max_bytes, ptl_cursor_remaining(c));
    while (end - c->pos >= 2) {
        gunichar u = ptl_cursor_le16(c);
        if (u == 0 && stop_at_nul)
            return;
        if (u >= 0xD800 && u < 0xDC00 && end - c->pos >= 2) {
            PtlCursor look = *c;
            gunichar low = ptl_cursor_le16(&look);
            if (low >= 0xDC00 && low < 0xE000) {
                ptl_cursor_skip(c, 2);
                u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
            }
        }
        smb_text_put(t, (u >= 0xD800 && u < 0xE000) ? 0xFFFD : u);
    }
    ptl_cursor_skip(c, end - c->pos);
}

/* 8-bit (OEM) text read as Latin-1 so the result is always valid UTF-8. */
static void
smb_text_oem(SmbText *t, PtlCursor *c, gsize max_bytes, gboolean stop_at_nul)
{
    gsize end = c->pos + MIN(max_bytes, ptl_cursor_remaining(c));
    while (c->pos < end) {
        guint8 b = ptl_cursor_u8(c);
        if (b == 0 && stop_at_nul)
            return;
        smb_text_put(t, b);
    }
}

/* An SMB1 string in a byte block: unicode strings are aligned to an even
 * offset from the SMB header; base is the block's offset from the header. */
static void
smb_text_smb1(SmbText *t, PtlCursor *c, gsize base, gboolean is_unicode)
{
    if (is_unicode) {
        if ((base + c->pos) % 2 != 0)
            ptl_cursor_skip(c, 1);
        smb_text_utf16(t, c, ptl_cursor_remaining(c), TRUE);
    } else {
        smb_text_oem(t, c, ptl_cursor_remaining(c), TRUE);
    }
}

/* ---- per-flow collections ------------------------------------------------ */

/* Counts a status; a failure new to this flow raises REQUEST_FAILED once. */
static void
smb_status_record(SmbState *s, const PtlFlowContext *ctx, SmbStatusSpace space, guint32 code)
{
    guint64 key = ((guint64) space << 32) | code;
    for (guint i = 0; i < s->n_statuses; i++) {
        if (s->statuses[i].key == key) {
            s->statuses[i].count++;
            return;
        }
    }
    if (s->n_statuses >= SMB_MAX_STATUSES) {
        s->statuses_dropped++;
        return;
    }
    s->statuses[s->n_statuses].key = key;
    s->statuses[s->n_statuses].count = 1;
    s->n_statuses++;
    const SmbNtStatus *known = smb_status_lookup(key);
    gboolean is_failure = known ? known->is_failure
                                : (space != SMB_STATUS_NT || (code >> 30) == 3);
    if (is_failure) {
        char buf[32];
        ptl_fact(ctx, PTL_FACT_REQUEST_FAILED, smb_status_name(key, buf));
    }
}

/* NT status of an SMB2/SMB1 reply: warnings and errors only, never PENDING. */
static void
smb_nt_status_record(SmbState *s, const PtlFlowContext *ctx, guint32 status)
{
    if (status == 0 || status == SMB_STATUS_PENDING || (status >> 30) < 2)
        return;
    smb_status_record(s, ctx, SMB_STATUS_NT, status);
}

/* CONFIRMED is raised once the variant is known: a NEGOTIATE request alone does
 * not tell (Windows offers SMB2 dialects inside an SMB1 NEGOTIATE). */
static void
smb_confirm(SmbState *s, const PtlFlowContext *ctx, const char *variant)
{
    if (s->is_confirmed)
        return;
    s->is_confirmed = TRUE;
    ptl_fact(ctx, PTL_FACT_CONFIRMED, variant);
}

static void
smb_confirm_smb2(SmbState *s, const PtlFlowContext *ctx)
{
    const char *name = smb_dialect_name(s->smb2_dialect);
    char variant[16] = "SMB2";
    if (name != NULL) {
        g_strlcat(variant, " ", sizeof variant);
        g_strlcat(variant, name, sizeof variant);
    }
    smb_confirm(s, ctx, variant);
}

/* ---- NTLMSSP ------------------------------------------------------------- */

/* DOMAIN\\user (into who, and the users list) when both are printable names of at
 * most PTL_REDACT_MAX_USER bytes; anything else is not a name and is not emitted. */
static gboolean
smb_note_user(SmbState *s, const SmbText *domain, const SmbText *user, SmbText *who)
{
    if (!ptl_redact_is_printable((const guint8 *) user->buf, user->len, PTL_REDACT_MAX_USER)
        || (domain->len > 0 && !ptl_redact_is_printable((const guint8 *) domain->buf,
                                                        domain->len, PTL_REDACT_MAX_USER)))
        return FALSE;
    memcpy(who->buf, domain->buf, domain->len);
    who->len = domain->len;
    if (who->len > 0)
        who->buf[who->len++] = '\\';
    memcpy(who->buf + who->len, user->buf, user->len);
    who->len += user->len;
    who->buf[who->len] = '\0';
    ptl_name_counts_add(&s->users, who->buf, (gssize) who->len);
    return TRUE;
}

static gssize
smb_find_bytes(const PtlCursor *c, const char *needle, gsize n)
{
    PtlCursor at = *c;
    for (;;) {
        gssize off = ptl_cursor_find(&at, (guint8) needle[0]);
        if (off < 0)
            return -1;
        ptl_cursor_skip(&at, (gsize) off);
        const guint8 *p = ptl_cursor_peek(&at, n);
        if (p == NULL)
            return -1;
        if (memcmp(p, needle, n) == 0)
            return (gssize) (at.pos - c->pos);
        ptl_cursor_skip(&at, 1);
    }
}

/* A {len, maxlen, offset} field of an NTLM message, as text. */
static void
smb_ntlm_field(SmbText *t, const PtlCursor *msg, PtlCursor *fields, gboolean is_unicode)
{
    guint16 len = ptl_cursor_le16(fields);
    (void) ptl_cursor_le16(fields);
    guint32 off = ptl_cursor_le32(fields);
    PtlCursor value = smb_slice(msg, off, len);
    if (!ptl_cursor_ok(&value))
        return;
    if (is_unicode)
        smb_text_utf16(t, &value, len, FALSE);
    else
        smb_text_oem(t, &value, len, FALSE);
}

/* Domain and user of an NTLM AUTHENTICATE message anywhere in a security
 * blob (raw or inside SPNEGO); the challenge responses are never read. */
static void
smb_ntlmssp_users(SmbState *s, const PtlCursor *blob)
{
    static const char signature[] = "NTLMSSP";
    gssize at = smb_find_bytes(blob, signature, sizeof signature);
    if (at < 0)
        return;
    PtlCursor msg = smb_tail(blob, blob->pos + (gsize) at);
    PtlCursor f = msg;
    ptl_cursor_skip(&f, sizeof signature);
    if (ptl_cursor_le32(&f) != 3)
        return;
    PtlCursor domain_field = smb_slice(&msg, 28, 8);
    PtlCursor user_field = smb_slice(&msg, 36, 8);
    PtlCursor flags_field = smb_slice(&msg, 60, 4);
    guint32 flags = ptl_cursor_le32(&flags_field);
    if (!ptl_cursor_ok(&flags_field))
        return;
    gboolean is_unicode = (flags & SMB_NTLMSSP_UNICODE) != 0;
    SmbText user = { .len = 0 };
    smb_ntlm_field(&user, &msg, &user_field, is_unicode);
    if (user.len == 0)
        return;                        /* anonymous */
    SmbText domain = { .len = 0 };
    smb_ntlm_field(&domain, &msg, &domain_field, is_unicode);
    SmbText who = { .len = 0 };
    smb_note_user(s, &domain, &user, &who);
}

/* ---- SMB2 ---------------------------------------------------------------- */

typedef struct {
    guint32   status;
    guint16   command;
    guint32   flags;
    guint32   next;
    guint64   message_id;
    guint32   tree_id;        /* 0 in an async header, which has none */
    gboolean  is_response;
} SmbSmb2Header;

/* ---- SMB2 request/response matching, for the smb_command records ---- */

static gint16
smb_tree_share(const SmbState *s, guint32 tree_id)
{
    for (guint i = 0; i < s->n_trees; i++) {
        if (s->trees[i].tree_id == tree_id)
            return s->trees[i].share;
    }
    return -1;
}

static void
smb_tree_add(SmbState *s, guint32 tree_id, gint16 share)
{
    for (guint i = 0; i < s->n_trees; i++) {
        if (s->trees[i].tree_id == tree_id) {
            s->trees[i].share = share;
            return;
        }
    }
    if (s->n_trees == SMB_MAX_TREES) {
        s->trees_dropped++;
        return;
    }
    s->trees[s->n_trees++] = (SmbTree) { .tree_id = tree_id, .share = share };
}

static void
smb_pending_add(SmbState *s, const SmbSmb2Header *h, gint share, gint64 ts_ns)
{
    if (s->n_pending == SMB_MAX_PENDING) {
        s->pending_dropped++;
        return;
    }
    s->pending[s->n_pending++] = (SmbPending) {
        .message_id = h->message_id, .ts_ns = ts_ns, .command = h->command,
        .share = (gint16) (share >= 0 ? share : smb_tree_share(s, h->tree_id)),
    };
}

/* Whether the response's request was outstanding; then *out is it, taken off the table. */
static gboolean
smb_pending_take(SmbState *s, const SmbSmb2Header *h, SmbPending *out)
{
    for (guint i = 0; i < s->n_pending; i++) {
        if (s->pending[i].message_id == h->message_id && s->pending[i].command == h->command) {
            *out = s->pending[i];
            s->pending[i] = s->pending[--s->n_pending];
            return TRUE;
        }
    }
    return FALSE;
}

/* One smb_command record (docs/schema/smb.md): a final SMB2 response with its request. */
static void
smb_record_response(SmbState *s, const PtlFlowContext *ctx, const SmbSmb2Header *h)
{
    SmbPending req = { .share = -1 };
    gboolean is_matched = smb_pending_take(s, h, &req);
    if (h->command == 0x03 && h->status == 0 && is_matched)
        smb_tree_add(s, h->tree_id, req.share);
    JsonBuilder *b = ptl_record_begin(ctx, "smb_command");
    if (b == NULL)
        return;
    ptl_emit_string(b, "command", smb_smb2_commands[MIN(h->command, SMB2_COMMAND_COUNT)].name,
                    -1);
    ptl_emit_int(b, "message_id", (gint64) MIN(h->message_id, (guint64) G_MAXINT64));
    char buf[32];
    ptl_emit_string(b, "status", h->status == 0 ? "STATUS_SUCCESS"
                                 : smb_status_name((guint64) SMB_STATUS_NT << 32 | h->status, buf),
                    -1);
    ptl_emit_int(b, "status_code", h->status);
    gint16 share = is_matched ? req.share : smb_tree_share(s, h->tree_id);
    if (share >= 0 && (guint) share < ptl_name_counts_len(&s->shares))
        ptl_emit_string(b, "share", ptl_name_counts_get(&s->shares, (guint) share)->name, -1);
    ptl_emit_bool(b, "request_seen", is_matched);
    if (is_matched && ctx->ts_ns >= req.ts_ns)
        ptl_emit_int(b, "latency_us", (ctx->ts_ns - req.ts_ns) / 1000);
    ptl_record_end(ctx);
}

static void
smb_smb2_negotiate_request(SmbState *s, const PtlCursor *msg)
{
    PtlCursor body = smb_tail(msg, SMB2_HEADER_SIZE);
    (void) ptl_cursor_le16(&body);                /* structure size 36 */
    guint16 count = ptl_cursor_le16(&body);
    PtlCursor dialects = smb_tail(msg, SMB2_HEADER_SIZE + 36);
    for (guint i = 0; i < MIN(count, SMB_MAX_WIRE_DIALECTS); i++) {
        guint16 d = ptl_cursor_le16(&dialects);
        if (!ptl_cursor_ok(&dialects))
            break;
        const char *name = smb_dialect_name(d);
        if (name != NULL)
            ptl_name_counts_add(&s->dialects_offered, name, (gssize) strlen(name));
    }
}

static void
smb_smb2_negotiate_response(SmbState *s, const PtlCursor *msg)
{
    PtlCursor body = smb_tail(msg, SMB2_HEADER_SIZE);
    (void) ptl_cursor_le16(&body);                /* structure size 65 */
    guint16 security_mode = ptl_cursor_le16(&body);
    guint16 dialect = ptl_cursor_le16(&body);
    ptl_cursor_skip(&body, 2 + 16);               /* context count, server guid */
    guint32 capabilities = ptl_cursor_le32(&body);
    if (!ptl_cursor_ok(&body))
        return;
    s->has_negotiate_response = TRUE;
    s->smb2_dialect = dialect;
    s->is_signing_enabled = (security_mode & 0x1) != 0;
    s->is_signing_required = (security_mode & 0x2) != 0;
    s->is_encryption_capable = (capabilities & SMB2_GLOBAL_CAP_ENCRYPTION) != 0;
}

static void
smb_smb2_session_setup_request(SmbState *s, const PtlCursor *msg)
{
    PtlCursor f = smb_slice(msg, SMB2_HEADER_SIZE + 12, 4);
    guint16 off = ptl_cursor_le16(&f);
    guint16 len = ptl_cursor_le16(&f);
    PtlCursor blob = smb_slice(msg, off, len);
    if (ptl_cursor_ok(&f) && ptl_cursor_ok(&blob))
        smb_ntlmssp_users(s, &blob);
}

static void
smb_smb2_session_setup_response(SmbState *s, const PtlCursor *msg)
{
    PtlCursor f = smb_slice(msg, SMB2_HEADER_SIZE + 2, 2);
    guint16 flags = ptl_cursor_le16(&f);
    if (!ptl_cursor_ok(&f))
        return;
    s->guest_sessions += (flags & SMB2_SESSION_FLAG_IS_GUEST) != 0;
    s->null_sessions += (flags & SMB2_SESSION_FLAG_IS_NULL) != 0;
    s->is_session_encrypted |= (flags & SMB2_SESSION_FLAG_ENCRYPT) != 0;
}

/* A UTF-16 name given by {offset from the header, length} at field_off, added to the
 * list; its index there, or -1. */
static gint
smb_smb2_name(const PtlCursor *msg, gsize field_off, PtlNameCounts *list)
{
    PtlCursor f = smb_slice(msg, field_off, 4);
    guint16 off = ptl_cursor_le16(&f);
    guint16 len = ptl_cursor_le16(&f);
    PtlCursor name = smb_slice(msg, off, len);
    if (!ptl_cursor_ok(&f) || !ptl_cursor_ok(&name))
        return -1;
    SmbText t = { .len = 0 };
    smb_text_utf16(&t, &name, len, TRUE);
    return ptl_name_counts_add(list, t.buf, (gssize) t.len);
}

static void
smb_smb2_command(SmbState *s, const PtlFlowContext *ctx, const SmbSmb2Header *h,
                 const PtlCursor *msg)
{
    if (h->is_response) {
        s->responses++;
        if (!(h->status == SMB_STATUS_PENDING && (h->flags & SMB2_FLAGS_ASYNC_COMMAND))) {
            smb_nt_status_record(s, ctx, h->status);
            smb_record_response(s, ctx, h);   /* an interim PENDING is not the answer */
        }
        if (h->command == 0x00 && h->status == 0)
            smb_smb2_negotiate_response(s, msg);
        else if (h->command == 0x01 && h->status == 0)
            smb_smb2_session_setup_response(s, msg);
        if (h->command != 0x00 || s->has_negotiate_response)
            smb_confirm_smb2(s, ctx);
        return;
    }
    s->smb2_commands[MIN(h->command, SMB2_COMMAND_COUNT)]++;
    gint64 ts_ns = ctx != NULL ? ctx->ts_ns : 0;
    switch (h->command) {
    case 0x00:
        smb_pending_add(s, h, -1, ts_ns);
        smb_smb2_negotiate_request(s, msg);
        return;                                   /* the variant is not known yet */
    case 0x01:
        smb_smb2_session_setup_request(s, msg);
        break;
    case 0x03:
        smb_pending_add(s, h, smb_smb2_name(msg, SMB2_HEADER_SIZE + 4, &s->shares), ts_ns);
        smb_confirm_smb2(s, ctx);
        return;
    case 0x05:
        smb_smb2_name(msg, SMB2_HEADER_SIZE + 44, &s->files);
        break;
    default:
        break;
    }
    if (h->command != 0x0C)                       /* CANCEL is never answered itself */
        smb_pending_add(s, h, -1, ts_ns);
    smb_confirm_smb2(s, ctx);
}

static gboolean
smb_smb2_header(PtlCursor *c, SmbSmb2Header *h)
{
    if (smb_magic(c) != SMB_MAGIC_SMB2 || ptl_cursor_le16(c) != SMB2_HEADER_SIZE)
        return FALSE;
    ptl_cursor_skip(c, 2);                        /* credit charge */
    h->status = ptl_cursor_le32(c);
    h->command = ptl_cursor_le16(c);
    ptl_cursor_skip(c, 2);                        /* credits */
    h->flags = ptl_cursor_le32(c);
    h->next = ptl_cursor_le32(c);
    h->message_id = ptl_cursor_le64(c);
    ptl_cursor_skip(c, 4);                        /* process id (sync) or async id, low half */
    guint32 tree_id = ptl_cursor_le32(c);
    h->tree_id = (h->flags & SMB2_FLAGS_ASYNC_COMMAND) ? 0 : tree_id;
    h->is_response = (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) != 0;
    return ptl_cursor_ok(c);
}

/* One SMB2 message and its compounded followers (NextCommand chain). */
static gboolean
smb_smb2_parse(SmbState *s, const PtlFlowContext *ctx, const PtlCursor *msg, gboolean is_partial,
               GError **error)
{
    s->has_smb2 = TRUE;
    gsize off = 0;
    while (off < msg->len) {
        gsize avail = msg->len - off;
        PtlCursor c = smb_slice(msg, off, avail);
        SmbSmb2Header h;
        if (!smb_smb2_header(&c, &h) || avail < SMB2_HEADER_SIZE) {
            if (is_partial && avail < SMB2_HEADER_SIZE)
                return TRUE;                      /* cut by the parse window */
            g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                        "smb: bad SMB2 header at offset %" G_GSIZE_FORMAT " of message", off);
            return FALSE;
        }
        gboolean is_last = h.next == 0 || (is_partial && h.next > avail);
        if (!is_last && (h.next < SMB2_HEADER_SIZE || h.next % 8 != 0 || h.next > avail)) {
            g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                        "smb: SMB2 NextCommand %" G_GUINT32_FORMAT " out of bounds (%"
                        G_GSIZE_FORMAT " bytes left)", h.next, avail);
            return FALSE;
        }
        s->signed_messages += (h.flags & SMB2_FLAGS_SIGNED) != 0;
        PtlCursor one = smb_slice(msg, off, is_last ? avail : h.next);
        smb_smb2_command(s, ctx, &h, &one);
        if (is_last)
            break;
        off += h.next;
    }
    return TRUE;
}

/* ---- SMB1 ---------------------------------------------------------------- */

typedef struct {
    guint8    command;
    guint32   status;
    guint8    flags;
    guint16   flags2;
    gboolean  is_response;
} SmbSmb1Header;

/* One command block: words and bytes, with the bytes' offset from the header. */
typedef struct {
    guint8    word_count;
    PtlCursor words;
    PtlCursor bytes;
    gsize     bytes_off;
} SmbSmb1Block;

static void
smb_smb1_negotiate_request(SmbState *s, const SmbSmb1Block *blk)
{
    PtlCursor c = blk->bytes;
    s->smb1_offered_n = 0;
    while (ptl_cursor_remaining(&c) > 0 && s->smb1_offered_n < SMB_MAX_WIRE_DIALECTS) {
        if (ptl_cursor_u8(&c) != 0x02)            /* buffer format: dialect */
            return;
        SmbText t = { .len = 0 };
        smb_text_oem(&t, &c, ptl_cursor_remaining(&c), TRUE);
        s->smb1_offered[s->smb1_offered_n++] =
            ptl_name_counts_add(&s->dialects_offered, t.buf, (gssize) t.len);
    }
}

static void
smb_smb1_negotiate_response(SmbState *s, const SmbSmb1Block *blk)
{
    PtlCursor w = blk->words;
    guint16 index = ptl_cursor_le16(&w);
    if (!ptl_cursor_ok(&w))
        return;
    s->has_negotiate_response = TRUE;
    if (index < s->smb1_offered_n)
        s->smb1_dialect = s->smb1_offered[index];
    if (blk->word_count < 13) {
        s->is_smb1_plaintext = index != 0xFFFF;   /* core protocol: no challenge */
        return;
    }
    guint16 security_mode = blk->word_count == 13 ? ptl_cursor_le16(&w) : ptl_cursor_u8(&w);
    s->is_smb1_plaintext = (security_mode & SMB1_SECMODE_CHALLENGE) == 0;
    if (blk->word_count == 17) {
        s->is_signing_enabled = (security_mode & SMB1_SECMODE_SIGN_ENABLED) != 0;
        s->is_signing_required = (security_mode & SMB1_SECMODE_SIGN_REQUIRED) != 0;
    }
}

/* Non-extended session setup: passwords, then account and domain strings. */
static void
smb_smb1_session_setup_legacy(SmbState *s, const PtlFlowContext *ctx, const SmbSmb1Header *h,
                              const SmbSmb1Block *blk)
{
    PtlCursor w = smb_slice(&blk->words, 14, 4);
    guint16 oem_len = ptl_cursor_le16(&w);
    guint16 uni_len = blk->word_count == 13 ? ptl_cursor_le16(&w) : 0;
    PtlCursor b = blk->bytes;
    ptl_cursor_skip(&b, (gsize) oem_len + uni_len);
    if (!ptl_cursor_ok(&w) || !ptl_cursor_ok(&b))
        return;
    gboolean is_unicode = (h->flags2 & SMB1_FLAGS2_UNICODE) != 0;
    SmbText account = { .len = 0 };
    SmbText domain = { .len = 0 };
    SmbText who = { .len = 0 };
    smb_text_smb1(&account, &b, blk->bytes_off, is_unicode);
    smb_text_smb1(&domain, &b, blk->bytes_off, is_unicode);
    if (account.len == 0)
        return;
    gboolean has_user = smb_note_user(s, &domain, &account, &who);
    if (s->is_smb1_plaintext && oem_len + uni_len > 0 && !s->has_cleartext_fact) {
        s->has_cleartext_fact = TRUE;
        g_autofree char *detail = has_user ? g_strconcat("SMB1 plaintext password user ",
                                                         who.buf, NULL)
                                           : g_strdup("SMB1 plaintext password");
        ptl_fact(ctx, PTL_FACT_CLEARTEXT_AUTH, detail);
    }
}

static void
smb_smb1_session_setup(SmbState *s, const PtlFlowContext *ctx, const SmbSmb1Header *h,
                       const SmbSmb1Block *blk)
{
    if (blk->word_count == 12) {                  /* extended security: a blob */
        PtlCursor w = smb_slice(&blk->words, 14, 2);
        guint16 len = ptl_cursor_le16(&w);
        PtlCursor blob = smb_slice(&blk->bytes, 0, len);
        if (ptl_cursor_ok(&w) && ptl_cursor_ok(&blob))
            smb_ntlmssp_users(s, &blob);
    } else if (blk->word_count == 13 || blk->word_count == 10) {
        smb_smb1_session_setup_legacy(s, ctx, h, blk);
    }
}

static void
smb_smb1_tree_connect(SmbState *s, const SmbSmb1Header *h, const SmbSmb1Block *blk)
{
    PtlCursor w = smb_slice(&blk->words, 6, 2);
    guint16 password_len = ptl_cursor_le16(&w);
    PtlCursor b = blk->bytes;
    ptl_cursor_skip(&b, password_len);
    if (!ptl_cursor_ok(&w) || !ptl_cursor_ok(&b))
        return;
    SmbText t = { .len = 0 };
    smb_text_smb1(&t, &b, blk->bytes_off, (h->flags2 & SMB1_FLAGS2_UNICODE) != 0);
    ptl_name_counts_add(&s->shares, t.buf, (gssize) t.len);
}

static void
smb_smb1_nt_create(SmbState *s, const SmbSmb1Header *h, const SmbSmb1Block *blk)
{
    PtlCursor w = smb_slice(&blk->words, 5, 2);
    guint16 name_len = ptl_cursor_le16(&w);
    if (!ptl_cursor_ok(&w))
        return;
    PtlCursor b = blk->bytes;
    SmbText t = { .len = 0 };
    if (h->flags2 & SMB1_FLAGS2_UNICODE) {
        if ((blk->bytes_off + b.pos) % 2 != 0)
            ptl_cursor_skip(&b, 1);
        smb_text_utf16(&t, &b, name_len, TRUE);
    } else {
        smb_text_oem(&t, &b, name_len, TRUE);
    }
    ptl_name_counts_add(&s->files, t.buf, (gssize) t.len);
}

static void
smb_smb1_command(SmbState *s, const PtlFlowContext *ctx, const SmbSmb1Header *h, guint8 command,
                 const SmbSmb1Block *blk)
{
    if (h->is_response) {
        if (command == 0x72)
            smb_smb1_negotiate_response(s, blk);
        return;
    }
    gint index = smb_smb1_command_index(command);
    s->smb1_commands[index < 0 ? SMB1_COMMAND_COUNT : (guint) index]++;
    switch (command) {
    case 0x72:
        smb_smb1_negotiate_request(s, blk);
        break;
    case 0x73:
        smb_smb1_session_setup(s, ctx, h, blk);
        break;
    case 0x75:
        smb_smb1_tree_connect(s, h, blk);
        break;
    case 0xA2:
        smb_smb1_nt_create(s, h, blk);
        break;
    default:
        break;
    }
}

static gboolean
smb_smb1_is_andx(guint8 command)
{
    static const guint8 andx[] = { 0x24, 0x2D, 0x2E, 0x2F, 0x73, 0x74, 0x75, 0xA2 };
    return memchr(andx, command, sizeof andx) != NULL;
}

/* The block at off: word count, words, byte count, bytes.  FALSE when it does
 * not fit; in a parse window the bytes may be cut. */
static gboolean
smb_smb1_block(const PtlCursor *msg, gsize off, gboolean is_partial, SmbSmb1Block *blk)
{
    PtlCursor c = smb_tail(msg, off);
    blk->word_count = ptl_cursor_u8(&c);
    blk->words = ptl_cursor_sub(&c, (gsize) blk->word_count * 2);
    guint16 byte_count = ptl_cursor_le16(&c);
    if (!ptl_cursor_ok(&c))
        return FALSE;
    blk->bytes_off = off + c.pos;
    gsize avail = ptl_cursor_remaining(&c);
    if (byte_count > avail && !is_partial)
        return FALSE;
    blk->bytes = ptl_cursor_sub(&c, MIN(byte_count, avail));
    return TRUE;
}

static gboolean
smb_smb1_parse(SmbState *s, const PtlFlowContext *ctx, const PtlCursor *msg, gboolean is_partial,
               GError **error)
{
    s->has_smb1 = TRUE;
    PtlCursor c = *msg;
    SmbSmb1Header h;
    (void) smb_magic(&c);
    h.command = ptl_cursor_u8(&c);
    h.status = ptl_cursor_le32(&c);
    h.flags = ptl_cursor_u8(&c);
    h.flags2 = ptl_cursor_le16(&c);
    if (!ptl_cursor_ok(&c) || msg->len < SMB1_HEADER_SIZE) {
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                    "smb: SMB1 message of %" G_GSIZE_FORMAT " bytes shorter than its header",
                    msg->len);
        return FALSE;
    }
    h.is_response = (h.flags & SMB1_FLAGS_REPLY) != 0;
    s->signed_messages += (h.flags2 & SMB1_FLAGS2_SIGNATURE) != 0;
    if (h.is_response) {
        s->responses++;
        if (h.flags2 & SMB1_FLAGS2_NT_STATUS)
            smb_nt_status_record(s, ctx, h.status);
        else if (h.status != 0)                   /* class, reserved, code */
            smb_status_record(s, ctx, SMB_STATUS_DOS,
                              ((h.status & 0xFF) << 16) | (h.status >> 16));
    }
    guint8 command = h.command;
    gsize off = SMB1_HEADER_SIZE;
    for (guint depth = 0; depth < SMB1_MAX_ANDX; depth++) {
        SmbSmb1Block blk;
        if (!smb_smb1_block(msg, off, is_partial, &blk)) {
            if (is_partial)
                break;
            g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                        "smb: SMB1 command 0x%02x block at offset %" G_GSIZE_FORMAT
                        " exceeds the message", command, off);
            return FALSE;
        }
        smb_smb1_command(s, ctx, &h, command, &blk);
        if (!smb_smb1_is_andx(command) || blk.word_count < 2)
            break;
        PtlCursor w = blk.words;
        command = ptl_cursor_u8(&w);
        ptl_cursor_skip(&w, 1);
        guint16 next = ptl_cursor_le16(&w);
        if (command == 0xFF)
            break;
        if (next <= off || next >= msg->len) {
            if (is_partial && next >= msg->len)
                break;
            g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                        "smb: SMB1 AndXOffset %u out of bounds", next);
            return FALSE;
        }
        off = next;
    }
    if (h.is_response || h.command != 0x72)
        smb_confirm(s, ctx, "SMB1");
    return TRUE;
}

/* ---- transforms and dispatch --------------------------------------------- */

static void
smb_transform(SmbState *s, const PtlFlowContext *ctx, SmbMagic magic)
{
    s->has_smb2 = TRUE;
    if (magic == SMB_MAGIC_COMPRESSED) {
        s->compressed_messages++;
    } else {
        s->encrypted_messages++;
        if (!s->has_encrypted_fact) {
            s->has_encrypted_fact = TRUE;
            ptl_fact(ctx, PTL_FACT_ENCRYPTED, "SMB3 transform");
        }
    }
    smb_confirm_smb2(s, ctx);
}

static gboolean
smb_message(SmbState *s, const PtlFlowContext *ctx, const PtlCursor *msg, gboolean is_partial,
            GError **error)
{
    PtlCursor c = *msg;
    SmbMagic magic = smb_magic(&c);
    gsize min = magic == SMB_MAGIC_TRANSFORM ? SMB_TRANSFORM_SIZE : SMB_COMPRESS_SIZE;
    switch (magic) {
    case SMB_MAGIC_SMB1:
        return smb_smb1_parse(s, ctx, msg, is_partial, error);
    case SMB_MAGIC_SMB2:
        return smb_smb2_parse(s, ctx, msg, is_partial, error);
    case SMB_MAGIC_TRANSFORM:
    case SMB_MAGIC_COMPRESSED:
        if (msg->len < min)
            break;
        smb_transform(s, ctx, magic);
        return TRUE;
    case SMB_MAGIC_NONE:
        break;
    }
    g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                "smb: NetBIOS session message of %" G_GSIZE_FORMAT " bytes is not SMB", msg->len);
    return FALSE;
}

/* ---- NetBIOS names ------------------------------------------------------- */

/* A first-level encoded NetBIOS name ("NAME<20>"); scope labels are skipped.
 * Returns FALSE on bad encoding; *is_pointer when it was a compression pointer. */
static gboolean
smb_nb_name(PtlCursor *c, SmbText *out, gboolean *is_pointer)
{
    *is_pointer = FALSE;
    guint8 len = ptl_cursor_u8(c);
    if ((len & 0xC0) == 0xC0) {
        ptl_cursor_skip(c, 1);
        *is_pointer = TRUE;
        return ptl_cursor_ok(c);
    }
    const guint8 *p = ptl_cursor_take(c, 32);
    if (len != 32 || p == NULL)
        return FALSE;
    guint8 raw[16];
    for (guint i = 0; i < 16; i++) {
        guint8 hi = p[2 * i] - 'A', lo = p[2 * i + 1] - 'A';
        if (hi > 15 || lo > 15)
            return FALSE;
        raw[i] = (guint8) (hi << 4 | lo);
    }
    gsize total = 33;
    for (guint8 label = ptl_cursor_u8(c); label != 0; label = ptl_cursor_u8(c)) {
        total += 1u + label;
        if (label > 63 || total > SMB_NB_MAX_NAME || !ptl_cursor_skip(c, label))
            return FALSE;
    }
    if (!ptl_cursor_ok(c))
        return FALSE;
    if (out == NULL)
        return TRUE;
    guint end = 15;
    while (end > 0 && (raw[end - 1] == ' ' || raw[end - 1] == '\0'))
        end--;
    static const char hex[] = "0123456789abcdef";
    for (guint i = 0; i < end; i++)
        smb_text_put(out, raw[i] >= 0x20 && raw[i] < 0x7F ? raw[i] : '.');
    smb_text_put(out, '<');
    smb_text_put(out, hex[raw[15] >> 4]);
    smb_text_put(out, hex[raw[15] & 0xF]);
    smb_text_put(out, '>');
    return TRUE;
}

static gboolean
smb_nb_name_collect(SmbState *s, PtlCursor *c)
{
    SmbText t = { .len = 0 };
    gboolean is_pointer;
    if (!smb_nb_name(c, s ? &t : NULL, &is_pointer))
        return FALSE;
    if (s != NULL && !is_pointer)
        ptl_name_counts_add(&s->names, t.buf, (gssize) t.len);
    return TRUE;
}

/* NBNS (RFC 1002 4.2): validates, and collects into s when s is not NULL. */
static gboolean
smb_nbns_parse(SmbState *s, const PtlFlowContext *ctx, PtlCursor *c)
{
    ptl_cursor_skip(c, 2);                        /* transaction id */
    guint16 flags = ptl_cursor_be16(c);
    guint counts[4];
    guint total = 0;
    for (guint i = 0; i < 4; i++) {
        counts[i] = ptl_cursor_be16(c);
        total += counts[i];
    }
    guint opcode = (flags >> 11) & 0xF;
    if (!ptl_cursor_ok(c) || smb_nbns_opcode_names[opcode] == NULL || total == 0
        || total > SMB_NBNS_MAX_RECORDS)
        return FALSE;
    for (guint i = 0; i < counts[0]; i++) {
        if (!smb_nb_name_collect(s, c))
            return FALSE;
        ptl_cursor_skip(c, 4);                    /* type, class */
    }
    for (guint i = counts[0]; i < total; i++) {
        if (!smb_nb_name_collect(s, c))
            return FALSE;
        ptl_cursor_skip(c, 8);                    /* type, class, ttl */
        guint16 rdlength = ptl_cursor_be16(c);
        if (!ptl_cursor_skip(c, rdlength))
            return FALSE;
    }
    if (!ptl_cursor_ok(c))
        return FALSE;
    if (s != NULL) {
        s->nbns_opcodes[opcode]++;
        if (flags & 0x8000) {
            s->nbns_responses++;
            if ((flags & 0xF) != 0)
                smb_status_record(s, ctx, SMB_STATUS_NBNS, flags & 0xF);
        }
        smb_confirm(s, ctx, "NBNS");
    }
    return TRUE;
}

/* NBDGM (RFC 1002 4.4): names, and the SMB mailslot message it carries. */
static gboolean
smb_nbdgm_parse(SmbState *s, const PtlFlowContext *ctx, PtlCursor *c, GError **error)
{
    guint8 type = ptl_cursor_u8(c);
    ptl_cursor_skip(c, 1 + 2 + 4 + 2);            /* flags, id, source ip, source port */
    if (!ptl_cursor_ok(c) || type < 0x10 || type > 0x16)
        return FALSE;
    if (type <= 0x12) {
        guint16 length = ptl_cursor_be16(c);
        ptl_cursor_skip(c, 2);                    /* packet offset */
        if (length > ptl_cursor_remaining(c) || !smb_nb_name_collect(s, c))
            return FALSE;
    }
    if (type == 0x13 ? !ptl_cursor_skip(c, 1) : !smb_nb_name_collect(s, c))
        return FALSE;                             /* error datagrams carry one code */
    if (s == NULL)
        return TRUE;
    s->nbdgm_datagrams++;
    smb_confirm(s, ctx, "NBDGM");
    PtlCursor user = smb_tail(c, c->pos);
    PtlCursor probe = user;
    if (ptl_cursor_remaining(&user) > 0 && smb_magic(&probe) == SMB_MAGIC_SMB1)
        return smb_smb1_parse(s, ctx, &user, FALSE, error);
    return TRUE;
}

/* ---- NetBIOS session service --------------------------------------------- */

static gboolean
smb_nbss_is_control(guint8 type)
{
    return type >= 0x81 && type <= 0x85;
}

static void
smb_nbss_request(SmbState *s, PtlCursor *body)
{
    SmbText called = { .len = 0 };
    SmbText calling = { .len = 0 };
    gboolean is_pointer;
    if (!smb_nb_name(body, &called, &is_pointer) || !smb_nb_name(body, &calling, &is_pointer))
        return;
    if (s->called == NULL)
        s->called = g_strndup(called.buf, called.len);
    if (s->calling == NULL)
        s->calling = g_strndup(calling.buf, calling.len);
}

static void
smb_nbss_control(SmbState *s, const PtlFlowContext *ctx, guint8 type, PtlCursor *body)
{
    if (type == 0x81)
        smb_nbss_request(s, body);
    else if (type == 0x83 && ptl_cursor_remaining(body) >= 1)
        smb_status_record(s, ctx, SMB_STATUS_NBSS, ptl_cursor_u8(body));
}

static gboolean
smb_nbss_names_ok(PtlCursor *body)
{
    gboolean is_pointer;
    return smb_nb_name(body, NULL, &is_pointer) && !is_pointer
           && smb_nb_name(body, NULL, &is_pointer) && !is_pointer;
}

/* TRUE when the bytes there could still begin an SMB signature. */
static gboolean
smb_magic_prefix_ok(const PtlCursor *c)
{
    static const guint8 tail[] = { 'S', 'M', 'B' };
    PtlCursor p = *c;
    guint8 first = ptl_cursor_u8(&p);
    if (ptl_cursor_ok(&p) && first < 0xFC)
        return FALSE;
    for (guint i = 0; i < sizeof tail; i++) {
        guint8 b = ptl_cursor_u8(&p);
        if (ptl_cursor_ok(&p) && b != tail[i])
            return FALSE;
    }
    return TRUE;
}

/* Can a header start at the cursor?  Decided from as few bytes as possible so
 * the scan needs no more than the header itself.  Control messages are accepted
 * only at the very start of a stream: four bytes alone prove little. */
static SmbCheck
smb_check_header(const PtlCursor *at, gboolean allow_control)
{
    PtlCursor c = *at;
    guint8 type = ptl_cursor_u8(&c);
    if (!ptl_cursor_ok(&c))
        return SMB_CHECK_MORE;
    if (type != 0x00 && !(allow_control && smb_nbss_is_control(type)))
        return SMB_CHECK_NO;
    guint32 len = ptl_cursor_be24(&c);
    if (!ptl_cursor_ok(&c))
        return SMB_CHECK_MORE;
    if (type != 0x00) {
        static const guint8 sizes[] = { 0, 0, 1, 6, 0 };    /* 0x81 varies */
        if (type == 0x81)
            return len >= 68 && len <= SMB_MAX_NBSS_CTRL ? SMB_CHECK_YES : SMB_CHECK_NO;
        return len == sizes[type - 0x81] ? SMB_CHECK_YES : SMB_CHECK_NO;
    }
    if (!smb_magic_prefix_ok(&c))
        return SMB_CHECK_NO;
    if (ptl_cursor_remaining(&c) < 4)
        return SMB_CHECK_MORE;
    SmbMagic magic = smb_magic(&c);
    if (magic == SMB_MAGIC_NONE || len > SMB_MAX_PDU)
        return SMB_CHECK_NO;
    if (magic == SMB_MAGIC_SMB2) {
        guint16 size = ptl_cursor_le16(&c);
        if (!ptl_cursor_ok(&c))
            return SMB_CHECK_MORE;
        return size == SMB2_HEADER_SIZE && len >= SMB2_HEADER_SIZE ? SMB_CHECK_YES
                                                                   : SMB_CHECK_NO;
    }
    if (magic == SMB_MAGIC_SMB1) {
        guint8 command = ptl_cursor_u8(&c);
        if (!ptl_cursor_ok(&c))
            return SMB_CHECK_MORE;
        return smb_smb1_command_index(command) >= 0 && len >= SMB1_HEADER_SIZE + 3
                   ? SMB_CHECK_YES : SMB_CHECK_NO;
    }
    if (magic == SMB_MAGIC_TRANSFORM) {
        /* nonce and signature are random: check original size and the flags */
        PtlCursor t = smb_tail(&c, c.pos + 32);
        guint32 original = ptl_cursor_le32(&t);
        ptl_cursor_skip(&t, 2);
        guint16 flags = ptl_cursor_le16(&t);
        if (!ptl_cursor_ok(&t))
            return SMB_CHECK_MORE;
        return len >= SMB_TRANSFORM_SIZE && original <= SMB_MAX_PDU && flags == 0x0001
                   ? SMB_CHECK_YES : SMB_CHECK_NO;
    }
    guint32 original = ptl_cursor_le32(&c);
    guint16 algorithm = ptl_cursor_le16(&c);
    if (!ptl_cursor_ok(&c))
        return SMB_CHECK_MORE;
    return len >= SMB_COMPRESS_SIZE && original <= SMB_MAX_PDU && algorithm <= 4
               ? SMB_CHECK_YES : SMB_CHECK_NO;
}

/* Offset of the first possible header from the cursor; *is_found is FALSE when
 * none was found and the offset is where the undecided tail starts. */
static gsize
smb_scan(const PtlCursor *c, gboolean *is_found)
{
    PtlCursor at = *c;
    for (;;) {
        SmbCheck check = smb_check_header(&at, FALSE);
        if (check != SMB_CHECK_NO) {
            *is_found = check == SMB_CHECK_YES;
            return at.pos - c->pos;
        }
        ptl_cursor_skip(&at, 1);
    }
}

static gssize
smb_length_error(GError **error, guint32 len, guint32 limit)
{
    g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_LIMIT,
                "smb: NetBIOS length %" G_GUINT32_FORMAT " over limit %" G_GUINT32_FORMAT,
                len, limit);
    return -1;
}

/* One NetBIOS message at the cursor: >0 consumed, 0 wait for more, -1 error. */
static gssize
smb_pdu(SmbState *s, const PtlFlowContext *ctx, SmbDirState *d, const PtlCursor *at,
        GError **error)
{
    PtlCursor c = *at;
    guint8 type = ptl_cursor_u8(&c);
    guint32 len = ptl_cursor_be24(&c);
    if (!ptl_cursor_ok(&c))
        return 0;
    gboolean is_rfc1002 = ctx != NULL && ctx->server_port == 139;
    if (type != 0x00 && !smb_nbss_is_control(type)) {
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                    "smb: unknown NetBIOS session packet type 0x%02x", type);
        return -1;
    }
    if (smb_nbss_is_control(type) && len > SMB_MAX_NBSS_CTRL)
        return smb_length_error(error, len, SMB_MAX_NBSS_CTRL);
    if (is_rfc1002 && len > SMB_MAX_NBSS_PDU)
        return smb_length_error(error, len, SMB_MAX_NBSS_PDU);
    if (len > SMB_MAX_PDU)
        return smb_length_error(error, len, SMB_MAX_PDU);
    gboolean is_partial = len > SMB_WHOLE_MAX;
    gsize want = is_partial ? SMB_HEAD_WINDOW : len;
    PtlCursor body = ptl_cursor_sub(&c, want);
    if (!ptl_cursor_ok(&c))
        return 0;
    if (smb_nbss_is_control(type))
        smb_nbss_control(s, ctx, type, &body);
    else if (len == 0)
        ;                                         /* an empty session message is legal */
    else if (!smb_message(s, ctx, &body, is_partial, error))
        return -1;
    d->skip_left = len - (guint32) want;
    return (gssize) (SMB_NBSS_HEADER + want);
}

/* Discards bytes up to the next header; moves to LOCKED when one is found. */
static gssize
smb_resync(SmbDirState *d, const PtlCursor *at, GError **error)
{
    gboolean is_found;
    gsize skip = smb_scan(at, &is_found);
    d->scanned += skip;
    if (d->scanned > SMB_MAX_PDU + SMB_NBSS_HEADER) {
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                    "smb: no SMB header in %" G_GUINT64_FORMAT " bytes", d->scanned);
        return -1;
    }
    if (is_found)
        d->sync = SMB_SYNC_LOCKED;
    return (gssize) skip;
}

/* ---- callbacks ----------------------------------------------------------- */

static PtlProbe
smb_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    (void) dir;
    PtlCursor c = ptl_cursor_init(data, len);
    gboolean has_control = FALSE;
    for (;;) {
        SmbCheck check = smb_check_header(&c, TRUE);
        if (check == SMB_CHECK_MORE)
            return PTL_PROBE_MAYBE;
        if (check == SMB_CHECK_NO)
            break;
        guint8 type = ptl_cursor_u8(&c);
        guint32 plen = ptl_cursor_be24(&c);
        if (type == 0x00)
            return PTL_PROBE_YES;
        PtlCursor body = ptl_cursor_sub(&c, plen);
        if (!ptl_cursor_ok(&c))
            return PTL_PROBE_MAYBE;
        if (type == 0x81)                         /* both names must decode */
            return smb_nbss_names_ok(&body) ? PTL_PROBE_YES : PTL_PROBE_NO;
        /* a short control message proves little: judge what follows it */
        has_control = TRUE;
    }
    if (has_control)
        return PTL_PROBE_NO;
    gboolean is_found;
    gsize at = smb_scan(&c, &is_found);
    if (is_found)
        return PTL_PROBE_YES;
    return at == 0 ? PTL_PROBE_MAYBE : PTL_PROBE_NO;
}

static PtlProbe
smb_probe_datagram(const guint8 *data, gsize len, PtlDirection dir, guint16 server_port)
{
    (void) dir;
    PtlCursor c = ptl_cursor_init(data, len);
    if (server_port == 137)
        return smb_nbns_parse(NULL, NULL, &c) ? PTL_PROBE_YES : PTL_PROBE_NO;
    if (server_port == 138)
        return smb_nbdgm_parse(NULL, NULL, &c, NULL) ? PTL_PROBE_YES : PTL_PROBE_NO;
    return PTL_PROBE_NO;
}

static gpointer
smb_state_new(void)
{
    SmbState *s = g_new0(SmbState, 1);
    s->smb1_dialect = -1;
    ptl_name_counts_init(&s->dialects_offered, SMB_MAX_DIALECTS);
    ptl_name_counts_init(&s->shares, SMB_MAX_SHARES);
    ptl_name_counts_init(&s->files, SMB_MAX_FILES);
    ptl_name_counts_init(&s->users, SMB_MAX_USERS);
    ptl_name_counts_init(&s->names, SMB_MAX_NAMES);
    return s;
}

static void
smb_state_free(gpointer state)
{
    SmbState *s = state;
    if (s == NULL)
        return;
    PtlNameCounts *lists[] = { &s->dialects_offered, &s->shares, &s->files, &s->users,
                               &s->names };
    for (gsize i = 0; i < G_N_ELEMENTS(lists); i++)
        ptl_name_counts_clear(lists[i]);
    g_free(s->called);
    g_free(s->calling);
    g_free(s);
}

static gssize
smb_feed_datagram(SmbState *s, const PtlFlowContext *ctx, const guint8 *data, gsize len,
                  GError **error)
{
    PtlCursor c = ptl_cursor_init(data, len);
    GError *local = NULL;
    gboolean is_dgm = ctx->server_port == 138;
    gboolean is_ok = is_dgm ? smb_nbdgm_parse(s, ctx, &c, &local) : smb_nbns_parse(s, ctx, &c);
    if (is_ok)
        return (gssize) len;
    if (local != NULL) {
        g_propagate_error(error, local);
        return -1;
    }
    g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                "smb: malformed %s datagram of %" G_GSIZE_FORMAT " bytes",
                is_dgm ? "NetBIOS datagram service" : "NetBIOS name service", len);
    return -1;
}

static gssize
smb_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
         gsize len, GError **error)
{
    SmbState *s = state;
    if (ctx != NULL && ctx->transport == PTL_TRANSPORT_UDP)
        return smb_feed_datagram(s, ctx, data, len, error);
    SmbDirState *d = &s->dirs[dir == PTL_DIR_TO_CLIENT];
    PtlCursor c = ptl_cursor_init(data, len);
    while (ptl_cursor_remaining(&c) > 0) {
        if (d->skip_left > 0) {
            gsize n = MIN(d->skip_left, ptl_cursor_remaining(&c));
            ptl_cursor_skip(&c, n);
            d->skip_left -= (guint32) n;
            continue;
        }
        if (d->sync == SMB_SYNC_START) {
            SmbCheck check = smb_check_header(&c, TRUE);
            if (check == SMB_CHECK_MORE)
                break;
            d->sync = check == SMB_CHECK_YES ? SMB_SYNC_LOCKED : SMB_SYNC_SCANNING;
            continue;
        }
        PtlCursor at = smb_tail(&c, c.pos);
        gboolean is_scanning = d->sync == SMB_SYNC_SCANNING;
        gssize used = is_scanning ? smb_resync(d, &at, error) : smb_pdu(s, ctx, d, &at, error);
        if (used < 0)
            return -1;
        ptl_cursor_skip(&c, (gsize) used);
        if (d->sync == SMB_SYNC_SCANNING || (!is_scanning && used == 0))
            break;                                /* the rest is undecided or incomplete */
    }
    return (gssize) c.pos;
}

/* A hole inside a body being skipped costs nothing; elsewhere scan for a header. */
static gboolean
smb_gap(gpointer state, PtlDirection dir, gsize missing)
{
    SmbState *s = state;
    SmbDirState *d = &s->dirs[dir == PTL_DIR_TO_CLIENT];
    if (d->sync == SMB_SYNC_LOCKED && missing <= d->skip_left) {
        d->skip_left -= (guint32) missing;
        return TRUE;
    }
    d->sync = SMB_SYNC_SCANNING;
    d->skip_left = 0;
    d->scanned = 0;
    return TRUE;
}

/* ---- emit ---------------------------------------------------------------- */

static void
smb_emit_commands(const SmbState *s, JsonBuilder *b)
{
    json_builder_set_member_name(b, "commands");
    json_builder_begin_object(b);
    for (guint i = 0; i <= SMB1_COMMAND_COUNT; i++) {
        if (s->smb1_commands[i] == 0)
            continue;
        json_builder_set_member_name(b, smb_smb1_commands[i].name);
        json_builder_add_int_value(b, (gint64) s->smb1_commands[i]);
    }
    for (guint i = 0; i <= SMB2_COMMAND_COUNT; i++) {
        if (s->smb2_commands[i] == 0)
            continue;
        json_builder_set_member_name(b, smb_smb2_commands[i].name);
        json_builder_add_int_value(b, (gint64) s->smb2_commands[i]);
    }
    json_builder_end_object(b);
}

static void
smb_emit_statuses(const SmbState *s, JsonBuilder *b)
{
    json_builder_set_member_name(b, "statuses");
    json_builder_begin_object(b);
    for (guint i = 0; i < s->n_statuses; i++) {
        char buf[32];
        json_builder_set_member_name(b, smb_status_name(s->statuses[i].key, buf));
        json_builder_add_int_value(b, (gint64) s->statuses[i].count);
    }
    json_builder_end_object(b);
    ptl_emit_int(b, "statuses_dropped", (gint64) s->statuses_dropped);
}

static void
smb_emit_netbios(const SmbState *s, JsonBuilder *b)
{
    json_builder_set_member_name(b, "netbios");
    json_builder_begin_object(b);
    ptl_emit_string(b, "called", s->called, -1);
    ptl_emit_string(b, "calling", s->calling, -1);
    ptl_name_counts_emit_names(&s->names, b, "names", "names_dropped");
    ptl_emit_counts(b, "opcodes", smb_nbns_opcode_names, s->nbns_opcodes,
                    G_N_ELEMENTS(s->nbns_opcodes));
    ptl_emit_int(b, "name_responses", (gint64) s->nbns_responses);
    ptl_emit_int(b, "datagrams", (gint64) s->nbdgm_datagrams);
    json_builder_end_object(b);
}

static void
smb_emit_dialect(const SmbState *s, JsonBuilder *b)
{
    if (s->smb2_dialect != 0) {
        char buf[32];
        const char *name = smb_dialect_name(s->smb2_dialect);
        ptl_emit_string(b, "dialect", name ? name : smb_status_name(s->smb2_dialect, buf), -1);
    } else if (s->smb1_dialect >= 0) {
        const PtlNameCount *dialect = ptl_name_counts_get(&s->dialects_offered,
                                                          (guint) s->smb1_dialect);
        ptl_emit_string(b, "dialect", dialect->name, (gssize) dialect->len);
    }
}

static void
smb_emit(gpointer state, JsonBuilder *b)
{
    const SmbState *s = state;
    if (s->has_smb2 || s->has_smb1)
        ptl_emit_string(b, "version", s->has_smb2 ? "SMB2" : "SMB1", -1);
    smb_emit_dialect(s, b);
    ptl_name_counts_emit_names(&s->dialects_offered, b, "dialects_offered",
                               "dialects_offered_dropped");
    if (s->has_negotiate_response) {
        ptl_emit_bool(b, "signing_enabled", s->is_signing_enabled);
        ptl_emit_bool(b, "signing_required", s->is_signing_required);
    }
    ptl_emit_bool(b, "encryption_capable", s->is_encryption_capable);
    ptl_emit_bool(b, "session_encrypted", s->is_session_encrypted);
    ptl_emit_int(b, "signed_messages", (gint64) s->signed_messages);
    ptl_emit_int(b, "encrypted_messages", (gint64) s->encrypted_messages);
    ptl_emit_int(b, "compressed_messages", (gint64) s->compressed_messages);
    ptl_emit_int(b, "responses", (gint64) s->responses);
    ptl_emit_int(b, "guest_sessions", (gint64) s->guest_sessions);
    ptl_emit_int(b, "null_sessions", (gint64) s->null_sessions);
    smb_emit_commands(s, b);
    ptl_name_counts_emit_names(&s->shares, b, "shares", "shares_dropped");
    ptl_name_counts_emit_names(&s->files, b, "files", "files_dropped");
    ptl_name_counts_emit_names(&s->users, b, "users", "users_dropped");
    smb_emit_statuses(s, b);
    smb_emit_netbios(s, b);
    ptl_emit_int(b, "skipped_bytes", (gint64) (s->dirs[0].scanned + s->dirs[1].scanned));
    /* the matching tables of the smb_command records: present once one overflowed */
    if (s->pending_dropped > 0)
        ptl_emit_int(b, "pending_dropped", (gint64) s->pending_dropped);
    if (s->trees_dropped > 0)
        ptl_emit_int(b, "trees_dropped", (gint64) s->trees_dropped);
}

static const PtlDissector smb_dissector = {
    PTL_DISSECTOR_HEADER,
    .name = "smb",
    .default_ports = smb_ports,
    .probe = smb_probe,
    .state_new = smb_state_new,
    .state_free = smb_state_free,
    .feed = smb_feed,
    .gap = smb_gap,
    .emit = smb_emit,
    .version = "1.0.0",
    .description = "SMB1/SMB2/SMB3 over NetBIOS or direct TCP, NetBIOS name and datagram services",
    .probe_datagram = smb_probe_datagram,
};

PTL_DISSECTOR_DEFINE(smb_dissector)
