#!/usr/bin/python3
"""Conformance: the same checks against MariaDB directly and through mypoold, answers diffed.

    /usr/bin/python3 tests/conformance/conformance.py [options]

Standalone it starts its own throwaway MariaDB (scripts/mariadb-sandbox) and one mypoold
($MYPOOLD, default build/daemon/mypoold) through tests/integration/harness.py, runs every check
once straight against MariaDB ("direct") and once through mypoold ("mypool"), and prints each
difference between the two answers. Differences listed in ALLOWED below (and in
docs/conformance.md, with the reason for each) are printed as "allowed" and not counted.
Exit status: 0 when there is no other difference, 1 when there is, 2 when the run itself broke.

Options:
  --pool-mode MODE    pool_mode of the daemon (session or transaction; default: the
                      MYPOOL_TEST_POOL_MODE environment variable, else transaction)
  --direct-twice      compare MariaDB with itself (both passes direct): proves the checks are
                      deterministic; every difference must be an allowed one
  --only SUBSTRING    run only the checks whose name contains SUBSTRING (repeatable)
  --skip SUBSTRING    leave out the checks whose name contains SUBSTRING (repeatable)
  --dump DIR          write the answers of both passes as JSON into DIR
  --show-allowed      also print the allowed differences one by one
  -v                  print each check's name as it runs

What is compared, for each check: the column metadata (name, org_name, table, org_table, db,
catalog, type, length, flags, decimals, charset), the values and their Python types, warnings
(count and SHOW WARNINGS), affected rows, insert ids, info messages, server status flags (OK and
EOF packets), error codes, SQLSTATEs and messages. Three clients: PyMySQL (also raw commands
through its packet layer: COM_FIELD_LIST, COM_STATISTICS, COM_SET_OPTION, COM_RESET_CONNECTION
and the binary protocol COM_STMT_*), mysqlclient (libmariadb), and the `mariadb` CLI with
--column-type-info --show-warnings -vvv.

A second client ("disturber") on the same target alternately opens and closes a transaction
before every statement of a check, so that in transaction pooling the checked client's
statements land on different backends, as they do under load. Straight to MariaDB it changes
nothing for the checked session.

Used by tests/integration/test_conformance.py through compare().
"""

import argparse
import datetime
import decimal
import hashlib
import json
import os
import re
import socket
import struct
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), "integration")
if INTEGRATION not in sys.path:
    sys.path.insert(0, INTEGRATION)
sys.dont_write_bytecode = True

import MySQLdb  # noqa: E402
import MySQLdb.constants.CLIENT as MCLIENT  # noqa: E402
import pymysql  # noqa: E402
import pymysql.connections  # noqa: E402
import pymysql.protocol  # noqa: E402
from pymysql.constants import CLIENT  # noqa: E402

DB = "conformance"
USER, PASSWORD = "app", "apppw"

# ---------------------------------------------------------------------------------------------
# Allowed differences: (regular expression on the path of a difference, reason). Keep in step
# with docs/conformance.md.

ALLOWED = [
    (r"^handshake/server_version$",
     "mypool's greeting carries its own server version string (5.5.5-<version>-MariaDB-mypool); "
     "SELECT VERSION() is relayed to the server and compared"),
    (r"^mysqlclient_info/server_info$", "the same version string, as libmariadb reports it"),
    (r"(^|/)(thread_id|connection_id|pseudo_thread_id)$",
     "connection ids: a client sees mypool's id for its session (in the handshake, from "
     "CONNECTION_ID() and @@pseudo_thread_id when its statement reads CONNECTION_ID()), not the "
     "id of a direct connection"),
    (r"^identity/(current_user|user|session_user)$",
     "mypool logs into MariaDB as its service account: CURRENT_USER(), USER() and "
     "SESSION_USER() name that account, not the client's [users] entry"),
    (r"^show_grants/",
     "SHOW GRANTS (for CURRENT_USER) lists the grants of mypool's service account"),
    (r"^processlist/own_row/user$",
     "SHOW PROCESSLIST runs on a backend connection, which belongs to the service account"),
    (r"^com_statistics/.*/(Uptime|Threads|Questions|Slow queries|Opens|Open tables|"
     r"Queries per second avg)$",
     "COM_STATISTICS numbers are server counters that move between the two passes (and count "
     "mypool's own backend connections); the keys and their order are compared"),
    (r"/stmt_id$",
     "binary-protocol statement ids: mypool hands out its own ids (a statement may be prepared "
     "on several backends under different server ids)"),
    (r"^handshake/capabilities/(CLIENT_MYSQL)$",
     "bit 0 of the greeting's capabilities: MariaDB clears it to say that the greeting carries "
     "MariaDB's extended capabilities (compared separately as mariadb_capabilities)"),
    (r"^handshake/capabilities/(COMPRESS)$",
     "compression is not implemented by mypool, so it is not advertised; clients then do not "
     "compress"),
    (r"^handshake/capabilities/(SESSION_TRACK|DEPRECATE_EOF)$",
     "not advertised by mypool (as docs/ and the protocol issue allow); clients then use EOF "
     "packets and do not get session-state tracking, which they all support"),
    (r"^handshake/capabilities/(ODBC|NO_SCHEMA|RESERVED|REMEMBER_OPTIONS)$",
     "flags without effect on what a client sees (ODBC and RESERVED are unused by MariaDB, "
     "NO_SCHEMA and REMEMBER_OPTIONS are client-side options)"),
    (r"^handshake/capabilities/(CAN_HANDLE_EXPIRED_PASSWORDS)$",
     "mypool authenticates clients against its own [users]; MariaDB's password expiry of an "
     "account does not apply to them"),
    (r"^handshake/mariadb_capabilities/(PROGRESS|STMT_BULK_OPERATIONS|CACHE_METADATA)$",
     "MariaDB-only extensions that a client uses only when offered: without them a client gets "
     "no progress reports, runs bulk operations one execute at a time and receives the "
     "metadata with every execute; the answers are the same"),
    (r"cli\w*/sec$", "timings printed by the mariadb CLI ((0.001 sec) and the like; the "
     "output lines are compared with the times masked)"),
    (r"^processlist/information_schema_own_row$",
     "CONNECTION_ID() is the client's session id (set as pseudo_thread_id on whichever server "
     "connection runs its statement), while the process list names server connections by the "
     "server's own ids: WHERE ID = CONNECTION_ID() finds no row"),
]

# Allowed by the statement a difference belongs to: (regular expression on the SQL, on the
# path, reason).
ALLOWED_SQL = [
    (r"ROW_COUNT\(\)", r"/rows/",
     "transaction pooling: ROW_COUNT() describes the previous statement on the same server "
     "connection, and a client's previous statement may have run on another one; no server "
     "variable sets it (session pooling: identical)"),
    (r"^KILL ", r"/show_warnings/",
     "mypool answers KILL itself (mapped to its own sessions, so that no client can kill "
     "another's backend): the server's diagnostics area does not hold that error"),
]


def allowed_by_sql(path, answers):
    sql = context_of(answers, path)
    if not isinstance(sql, str):
        return None
    for rx_sql, rx_path, reason in ALLOWED_SQL:
        if re.search(rx_sql, sql, re.I) and re.search(rx_path, path):
            return reason
    return None

# ---------------------------------------------------------------------------------------------
# pymysql instrumentation: the raw ERR packet (for the SQLSTATE PyMySQL drops) and the server
# status of the EOF packet that ends a result set.

_last_err = [None]
_orig_raise_for_error = pymysql.protocol.MysqlPacket.raise_for_error


def _raise_for_error(self):
    _last_err[0] = bytes(self._data)
    return _orig_raise_for_error(self)


pymysql.protocol.MysqlPacket.raise_for_error = _raise_for_error
_orig_check_eof = pymysql.connections.MySQLResult._check_packet_is_eof


def _check_eof(self, packet):
    r = _orig_check_eof(self, packet)
    if r:
        self.eof_status = struct.unpack_from("<H", packet.get_all_data(), 3)[0]
    return r


pymysql.connections.MySQLResult._check_packet_is_eof = _check_eof

SERVER_STATUS = [
    (0x0001, "IN_TRANS"), (0x0002, "AUTOCOMMIT"), (0x0008, "MORE_RESULTS_EXISTS"),
    (0x0010, "NO_GOOD_INDEX_USED"), (0x0020, "NO_INDEX_USED"), (0x0040, "CURSOR_EXISTS"),
    (0x0080, "LAST_ROW_SENT"), (0x0100, "DB_DROPPED"), (0x0200, "NO_BACKSLASH_ESCAPES"),
    (0x0400, "METADATA_CHANGED"), (0x0800, "QUERY_WAS_SLOW"), (0x1000, "PS_OUT_PARAMS"),
    (0x2000, "IN_TRANS_READONLY"), (0x4000, "SESSION_STATE_CHANGED"),
]
CAPS = {0: "CLIENT_MYSQL", 1: "FOUND_ROWS", 2: "LONG_FLAG", 3: "CONNECT_WITH_DB", 4: "NO_SCHEMA",
        5: "COMPRESS", 6: "ODBC", 7: "LOCAL_FILES", 8: "IGNORE_SPACE", 9: "PROTOCOL_41",
        10: "INTERACTIVE", 11: "SSL", 12: "IGNORE_SIGPIPE", 13: "TRANSACTIONS", 14: "RESERVED",
        15: "SECURE_CONNECTION", 16: "MULTI_STATEMENTS", 17: "MULTI_RESULTS",
        18: "PS_MULTI_RESULTS", 19: "PLUGIN_AUTH", 20: "CONNECT_ATTRS",
        21: "PLUGIN_AUTH_LENENC_CLIENT_DATA", 22: "CAN_HANDLE_EXPIRED_PASSWORDS",
        23: "SESSION_TRACK", 24: "DEPRECATE_EOF", 25: "OPTIONAL_RESULTSET_METADATA",
        26: "ZSTD_COMPRESSION", 27: "QUERY_ATTRIBUTES", 28: "MULTI_FACTOR_AUTH",
        29: "CAPABILITY_EXTENSION", 30: "SSL_VERIFY_SERVER_CERT", 31: "REMEMBER_OPTIONS"}
MARIADB_CAPS = {0: "PROGRESS", 1: "COM_MULTI", 2: "STMT_BULK_OPERATIONS", 3: "EXTENDED_METADATA",
                4: "CACHE_METADATA"}


def status_names(st):
    if st is None:
        return None
    return [n for bit, n in SERVER_STATUS if st & bit] + (["0x%x" % (st & ~0x7FFB)]
                                                          if st & ~0x7FFB else [])


def tv(v):
    """A value with its Python type, as a string that shows both."""
    if v is None:
        return None
    if isinstance(v, (bytes, bytearray)):
        if len(v) > 512:
            return "bytes:len %d md5 %s" % (len(v), hashlib.md5(v).hexdigest())
        return "bytes:" + bytes(v).hex()
    if isinstance(v, str):
        if len(v) > 2048:
            return "str:len %d md5 %s" % (len(v), hashlib.md5(v.encode()).hexdigest())
        return "str:" + v
    if isinstance(v, float):
        return "float:" + repr(v)
    if isinstance(v, (set, frozenset)):
        return "%s:%s" % (type(v).__name__, sorted(v))
    return "%s:%s" % (type(v).__name__, v)


def err_of(e):
    """(code, SQLSTATE, message) of a PyMySQL error, the SQLSTATE from the raw ERR packet."""
    data = _last_err[0]
    _last_err[0] = None
    code = e.args[0] if e.args else None
    msg = e.args[1] if len(e.args) > 1 else str(e)
    state = None
    if data and data[:1] == b"\xff" and data[3:4] == b"#":
        state = data[4:9].decode()
    return {"code": code, "sqlstate": state, "message": msg}


def field_of(f):
    return {"name": f.name, "org_name": f.org_name, "table": f.table_name,
            "org_table": f.org_table, "db": _s(f.db), "catalog": _s(f.catalog),
            "type": f.type_code, "length": f.length, "flags": f.flags, "decimals": f.scale,
            "charset": f.charsetnr}


def _s(v):
    return v.decode(errors="replace") if isinstance(v, (bytes, bytearray)) else v


def lenenc(data, pos):
    b = data[pos]
    if b < 0xFB:
        return b, pos + 1
    if b == 0xFB:
        return None, pos + 1
    if b == 0xFC:
        return struct.unpack_from("<H", data, pos + 1)[0], pos + 3
    if b == 0xFD:
        return int.from_bytes(data[pos + 1:pos + 4], "little"), pos + 4
    return struct.unpack_from("<Q", data, pos + 1)[0], pos + 9


def lenenc_str(data, pos):
    n, pos = lenenc(data, pos)
    if n is None:
        return None, pos
    return bytes(data[pos:pos + n]), pos + n


def coldef(data):
    """A column definition packet, decoded (the bytes after the fixed part as hex)."""
    pos, parts = 0, []
    for _ in range(6):
        v, pos = lenenc_str(data, pos)
        parts.append(_s(v))
    _, pos = lenenc(data, pos)
    charset, length, typ, flags, decimals = struct.unpack_from("<HIBHB", data, pos)
    pos += 12
    d = {"catalog": parts[0], "db": parts[1], "table": parts[2], "org_table": parts[3],
         "name": parts[4], "org_name": parts[5], "charset": charset, "length": length,
         "type": typ, "flags": flags, "decimals": decimals}
    if pos < len(data):
        d["rest"] = bytes(data[pos:]).hex()
    return d


def ok_of(data):
    affected, pos = lenenc(data, 1)
    insert_id, pos = lenenc(data, pos)
    status, warnings = struct.unpack_from("<HH", data, pos)
    return {"ok": True, "affected_rows": affected, "insert_id": insert_id,
            "status": status_names(status), "warnings": warnings,
            "info": _s(bytes(data[pos + 4:]))}


def eof_of(data):
    warnings, status = struct.unpack_from("<HH", data, 1)
    return {"eof": True, "warnings": warnings, "status": status_names(status)}


# ---------------------------------------------------------------------------------------------
# Targets, the disturber, and the check context

class Disturber:
    """A second client on the target that alternately holds and releases a backend."""

    def __init__(self, sock):
        self.conn = pymysql.connect(unix_socket=sock, user=USER, password=PASSWORD, database=DB,
                                    autocommit=True, connect_timeout=10, read_timeout=60)
        self.holding = False

    def step(self):
        cur = self.conn.cursor()
        if self.holding:
            cur.execute("COMMIT")
        else:
            cur.execute("BEGIN")
            cur.execute("SELECT 1")
            cur.fetchall()
        self.holding = not self.holding

    def close(self):
        try:
            if self.holding:
                self.conn.cursor().execute("COMMIT")
            self.conn.close()
        except Exception:  # noqa: BLE001
            pass


class Ctx:
    """What a check gets: the target socket and helpers that record answers."""

    def __init__(self, sock, disturber):
        self.sock = sock
        self.dist = disturber
        self.conns = []

    def step(self):
        if self.dist:
            self.dist.step()

    def close(self):
        for c in reversed(self.conns):
            try:
                c.close()
            except Exception:  # noqa: BLE001
                pass
        self.conns = []

    # -- clients ------------------------------------------------------------------------------

    def pm(self, database=DB, multi=False, flags=0, **kw):
        kw.setdefault("autocommit", True)
        kw.setdefault("charset", "utf8mb4")
        if multi:
            flags |= CLIENT.MULTI_STATEMENTS
        c = pymysql.connect(unix_socket=self.sock, user=kw.pop("user", USER),
                            password=kw.pop("password", PASSWORD), database=database,
                            client_flag=flags, connect_timeout=10, read_timeout=60, **kw)
        self.conns.append(c)
        return c

    def my(self, database=DB, multi=False, **kw):
        kw.setdefault("charset", "utf8mb4")
        flags = kw.pop("client_flag", 0)
        if multi:
            flags |= MCLIENT.MULTI_STATEMENTS | MCLIENT.MULTI_RESULTS
        c = MySQLdb.connect(unix_socket=self.sock, user=kw.pop("user", USER),
                            password=kw.pop("password", PASSWORD), database=database,
                            client_flag=flags, connect_timeout=10, **kw)
        c.autocommit(True)
        self.conns.append(c)
        return c

    # -- PyMySQL statements -------------------------------------------------------------------

    def q(self, conn, sql, args=None, warnings=True):
        """Run one COM_QUERY with PyMySQL; the answer: every result (metadata, typed rows,
        affected rows, insert id, info, warnings, status) or the error, then SHOW WARNINGS
        when there were warnings or an error."""
        self.step()
        cur = conn.cursor()
        out = {"sql": sql}
        results = []
        had_warn = False
        try:
            cur.execute(sql, args)
            while True:
                r = cur._result
                fields = getattr(r, "fields", None)
                res = {"affected_rows": r.affected_rows, "insert_id": r.insert_id,
                       "warning_count": r.warning_count, "info": _s(r.message),
                       "status": status_names(getattr(r, "eof_status", None) if fields
                                              else r.server_status)}
                if fields:
                    res["fields"] = [field_of(f) for f in fields]
                    res["rows"] = [[tv(v) for v in row] for row in (r.rows or ())]
                had_warn = had_warn or bool(r.warning_count)
                results.append(res)
                try:
                    more = cur.nextset()
                except pymysql.MySQLError as e:
                    results.append({"error": err_of(e)})
                    had_warn = True
                    break
                if not more:
                    break
        except pymysql.MySQLError as e:
            results.append({"error": err_of(e)})
            had_warn = True
        out["results"] = results
        out["conn_status"] = status_names(conn.server_status)
        if warnings and had_warn:
            out["show_warnings"] = self.scalar(conn, "SHOW WARNINGS")
        return out

    def qs(self, conn, *sqls, **kw):
        return [self.q(conn, s, **kw) for s in sqls]

    def scalar(self, conn, sql):
        """Just the rows of one statement (or its error)."""
        self.step()
        cur = conn.cursor()
        try:
            cur.execute(sql)
            return [[tv(v) for v in r] for r in cur.fetchall()]
        except pymysql.MySQLError as e:
            return {"error": err_of(e)}

    # -- mysqlclient statements ---------------------------------------------------------------

    def m(self, conn, sql):
        """Run one query with mysqlclient's low-level API: describe(), field_flags(), typed
        rows, affected_rows(), insert_id(), info(), warning_count(), each result; errors
        with sqlstate()."""
        self.step()
        out = {"sql": sql, "results": []}
        try:
            conn.query(sql)
            while True:
                r = conn.store_result()
                res = {"affected_rows": conn.affected_rows(), "insert_id": conn.insert_id(),
                       "info": _s(conn.info()), "warning_count": conn.warning_count(),
                       "field_count": conn.field_count()}
                if r is not None:
                    res["describe"] = [list(d) for d in r.describe()]
                    res["field_flags"] = list(r.field_flags())
                    res["rows"] = [[tv(v) for v in row] for row in r.fetch_row(0, 0)]
                out["results"].append(res)
                if conn.next_result() != 0:
                    break
        except MySQLdb.MySQLError as e:
            out["results"].append({"error": {"code": e.args[0], "message": e.args[1],
                                             "sqlstate": conn.sqlstate()}})
        return out

    # -- raw commands through PyMySQL's packet layer -------------------------------------------

    def command(self, conn, cmd, data=b""):
        self.step()
        conn._execute_command(cmd, data)

    def read(self, conn):
        """The next packet's bytes, or {'error': ...} for an ERR packet."""
        try:
            return bytes(conn._read_packet().get_all_data())
        except pymysql.MySQLError as e:
            return {"error": err_of(e)}

    # -- the mariadb CLI ----------------------------------------------------------------------

    def cli(self, script, *args):
        cmd = ["mariadb", "--no-defaults", "-S", self.sock, "-u", USER, "-p" + PASSWORD,
               "--default-character-set=utf8mb4", "--column-type-info", "--show-warnings",
               "--force", "-t", "-vvv"] + list(args) + [DB]
        p = subprocess.run(cmd, input=script.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        outl, secs = [], []
        for line in p.stdout.decode(errors="replace").splitlines():
            m = re.search(r"\((\d+\.\d+) sec\)", line)
            if m:
                secs.append(m.group(1))
                line = line.replace(m.group(0), "(<time> sec)")
            outl.append(line)
        return {"rc": p.returncode, "stdout": outl,
                "stderr": p.stderr.decode(errors="replace").splitlines(), "sec": " ".join(secs)}


# ---------------------------------------------------------------------------------------------
# Setup (as root, straight to MariaDB, before each pass)

SETUP = """
DROP DATABASE IF EXISTS conformance;
CREATE DATABASE conformance CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
USE conformance;
CREATE TABLE types (
  id INT NOT NULL PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT UNSIGNED, i INT, bi BIGINT,
  biu BIGINT UNSIGNED, bo BOOL, de DECIMAL(65,30), dz DECIMAL(8,3) UNSIGNED ZEROFILL,
  fl FLOAT, fl2 FLOAT(7,3), db DOUBLE,
  d DATE, dt DATETIME, dt6 DATETIME(6), ts TIMESTAMP(3) NULL DEFAULT NULL, tm TIME, tm6 TIME(6),
  yr YEAR,
  ch CHAR(10), vc VARCHAR(255), bn BINARY(4), vb VARBINARY(16), tt TINYTEXT, tx TEXT,
  mt MEDIUMTEXT, lt LONGTEXT, tb TINYBLOB, bl BLOB, mb MEDIUMBLOB, lb LONGBLOB,
  en ENUM('a','b','c'), st SET('x','y','z'), b1 BIT(1), b64 BIT(64), js JSON,
  u8 VARCHAR(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, l1 VARCHAR(20) CHARACTER SET latin1,
  uu UUID, i6 INET6, pt POINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO types VALUES
 (1, -128, 255, -32768, 16777215, -2147483648, -9223372036854775808, 18446744073709551615, TRUE,
  '12345678901234567890123456789012345.123456789012345678901234567891', 12.5, 1.5, 1234.567,
  3.141592653589793, '2024-02-29', '2038-01-19 03:14:07', '1999-12-31 23:59:59.999999',
  '2001-02-03 04:05:06.789', '-838:59:59', '12:34:56.000001', 2155,
  'ab', 'h\u00e9llo w\u00f6rld', 'ab', x'00fe00', 'tiny', REPEAT('t', 1000), 'medium', 'long',
  x'00', x'0001ff00', REPEAT(x'ab', 70000), x'ff', 'b', 'x,z', b'1', b'1010101010101010',
  '{"a": [1, 2, null], "b": "\u00fc"}', '\U0001F600 \u6c49\u5b57 \U0001F680', 'caf\u00e9',
  '123e4567-e89b-12d3-a456-426614174000', '2001:db8::1', POINT(1.5, -2.25)),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, 0, 0, 0, 0, 0, 0, 0, FALSE, 0, 0, 0, 0, 0, '1000-01-01', '1000-01-01 00:00:00',
  '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000', '00:00:00', '00:00:00.000000', 1901,
  '', '', '', '', '', '', '', '', '', '', '', '', 'a', '', b'0', b'0', '[]', '', '',
  '00000000-0000-0000-0000-000000000000', '::', POINT(0, 0)),
 (4, 127, 1, 32767, 1, 2147483647, 9223372036854775807, 1, TRUE, -0.000000000000000000000000000001,
  99999.999, -3.4e38, -9999.999, -1.7976931348623157e308, '9999-12-31', '9999-12-31 23:59:59',
  '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999', '838:59:59', '-00:00:00.000001', 2000,
  'x\\ty', 'quote''s "and" back\\\\slash', x'ffffffff', x'ff', NULL, '\\n', NULL, NULL, NULL, NULL,
  NULL, NULL, 'c', 'x,y,z', b'0', b'1111111111111111111111111111111111111111111111111111111111111111',
  'null', '\u00df\u0130\u0131', NULL, 'ffffffff-ffff-ffff-ffff-ffffffffffff', '::ffff:255.255.255.255',
  NULL);
CREATE TABLE ai (id INT AUTO_INCREMENT PRIMARY KEY, k VARCHAR(20) UNIQUE, v INT NOT NULL DEFAULT 0)
  ENGINE=InnoDB;
INSERT INTO ai (k, v) VALUES ('one', 1), ('two', 2), ('three', 3);
CREATE TABLE strict_t (s VARCHAR(5) NOT NULL, n TINYINT, d DATE) ENGINE=InnoDB;
CREATE TABLE parent (id INT PRIMARY KEY) ENGINE=InnoDB;
CREATE TABLE child (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES parent (id))
  ENGINE=InnoDB;
INSERT INTO parent VALUES (1), (2);
CREATE TABLE myisam_t (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=MyISAM;
INSERT INTO myisam_t VALUES (1, 'a'), (2, 'b');
CREATE VIEW v_types AS SELECT id, vc, de FROM types WHERE id < 4;
CREATE PROCEDURE two_sets(IN x INT)
BEGIN
  SELECT x AS a, 'one' AS b;
  SELECT id, vc, de FROM types WHERE id <= x ORDER BY id;
END;
CREATE PROCEDURE p_out(IN x INT, OUT y INT, INOUT z VARCHAR(20)) BEGIN SET y = x * 2; SET z = CONCAT(z, '!'); END;
CREATE PROCEDURE sig() SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'custom failure', MYSQL_ERRNO = 1644;
CREATE PROCEDURE p_dml() BEGIN UPDATE ai SET v = v + 1; SELECT ROW_COUNT() AS rc; END;
CREATE FUNCTION f_add(a INT, b INT) RETURNS INT DETERMINISTIC RETURN a + b;
ANALYZE TABLE types, ai, strict_t, parent, child, myisam_t;
"""


def setup(sandbox):
    """Recreate the database `conformance` (as root, directly): the same start for each pass."""
    c = sandbox.connect(database=None, charset="utf8mb4",
                        client_flag=CLIENT.MULTI_STATEMENTS)
    try:
        with c.cursor() as cur:
            # The procedures' bodies hold semicolons: run statement by statement.
            for stmt in split_sql(SETUP):
                cur.execute(stmt)
                cur.fetchall()
                while cur.nextset():
                    pass
    finally:
        c.close()


def split_sql(text):
    out, cur, depth = [], [], 0
    for line in text.strip().splitlines():
        s = line.strip()
        if s == "BEGIN":
            depth += 1
        if s.upper().startswith("END;") and depth:
            depth -= 1
        cur.append(line)
        if s.endswith(";") and depth == 0:
            out.append("\n".join(cur).rstrip().rstrip(";"))
            cur = []
    if cur and "".join(cur).strip():
        out.append("\n".join(cur))
    return out


# ---------------------------------------------------------------------------------------------
# The checks: name -> function(ctx) -> answer (JSON-like)

CHECKS = []


def check(fn):
    CHECKS.append((fn.__name__.replace("check_", "", 1), fn))
    return fn


def greeting(sock):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock)
    data = b""
    while len(data) < 4 or len(data) < 4 + int.from_bytes(data[:3], "little"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    p = data[4:4 + int.from_bytes(data[:3], "little")]
    pos = p.index(b"\0", 1)
    version = p[1:pos].decode(errors="replace")
    pos += 1
    thread_id = struct.unpack_from("<I", p, pos)[0]
    pos += 4 + 8 + 1
    caps = struct.unpack_from("<H", p, pos)[0]
    charset = p[pos + 2]
    status = struct.unpack_from("<H", p, pos + 3)[0]
    caps |= struct.unpack_from("<H", p, pos + 5)[0] << 16
    auth_len = p[pos + 7]
    filler = p[pos + 8:pos + 14]
    ext = struct.unpack_from("<I", p, pos + 14)[0] if not caps & 1 else 0
    pos += 18
    rest = max(13, auth_len - 8)
    plugin = p[pos + rest:].split(b"\0")[0].decode(errors="replace")
    return {"protocol": p[0], "server_version": version, "thread_id": thread_id,
            "capabilities": {n: bool(caps & (1 << b)) for b, n in sorted(CAPS.items())},
            "mariadb_capabilities": {n: bool(ext & (1 << b)) for b, n in sorted(MARIADB_CAPS.items())},
            "default_collation": charset, "status": status_names(status),
            "auth_plugin": plugin, "filler": filler.hex(), "auth_data_length": auth_len}


@check
def check_handshake(ctx):
    return greeting(ctx.sock)


@check
def check_identity(ctx):
    c = ctx.pm()
    cur = c.cursor()
    cur.execute("SELECT CONNECTION_ID(), CURRENT_USER(), USER(), SESSION_USER(), DATABASE(), "
                "@@pseudo_thread_id, VERSION(), @@version_comment")
    r = cur.fetchone()
    return {"connection_id": r[0], "current_user": r[1], "user": r[2], "session_user": r[3],
            "database": r[4], "pseudo_thread_id": r[5], "version": r[6], "version_comment": r[7],
            "thread_id": c.thread_id(), "same_id": r[0] == c.thread_id(),
            "pymysql_server_charset": c.server_charset,
            "pymysql_server_status": status_names(c.server_status)}


@check
def check_literals(ctx):
    c = ctx.pm()
    return ctx.qs(
        c,
        "SELECT 1 AS i, -1 AS neg, 1.5 AS dec1, 1e0 AS dbl, 'x' AS s, NULL AS n, X'00ff' AS hex, "
        "_utf8mb4'\U0001F600' AS emoji, 18446744073709551615 AS umax, -9223372036854775808 AS imin, "
        "CAST(1 AS UNSIGNED) AS u1, TRUE AS t, '' AS empty, _binary'' AS empty_bin, "
        "0.000001 AS small, 123456789012345678901234567890.123 AS bigdec, 1 = 1 AS cmp, "
        "CAST(NULL AS CHAR) AS nchar, 'a' 'b' AS concat_lit",
        "SELECT 2 + 2, 10 DIV 3, 10 % 3, 7 / 2, POW(2, 64), ~0, 1 << 63, -0.0, 0x41, b'101'",
        "SELECT CHAR(65, 66), CHAR(0), SPACE(3), REPEAT('ab', 3), REVERSE('\u00e9t\u00e9'), "
        "INSERT('abc', 2, 1, 'XYZ'), LPAD('7', 3, '0'), FORMAT(1234567.891, 2), HEX('\u00e9'), "
        "UNHEX('414243'), MD5(''), SHA2('abc', 256), UUID_SHORT() > 0, BIN(10), OCT(8), CONV('ff', 16, 10)",
        "SELECT JSON_OBJECT('a', 1, 'b', 'x'), JSON_ARRAY(1, NULL, 'y'), JSON_EXTRACT('{\"k\": [1, 2]}', '$.k[1]'), "
        "JSON_VALID('{'), JSON_TYPE('1.5'), JSON_UNQUOTE('\"q\"')",
    )


@check
def check_types_pymysql(ctx):
    c = ctx.pm()
    return ctx.qs(c, "SELECT * FROM types ORDER BY id", "SELECT * FROM types WHERE id < 0",
                  "SELECT * FROM v_types ORDER BY id",
                  "SELECT id, ST_AsText(pt), HEX(pt), uu, i6, js, JSON_TYPE(js), b64 + 0, b1 + 0 "
                  "FROM types ORDER BY id")


@check
def check_types_latin1_client(ctx):
    c = ctx.pm(charset="latin1")
    return ctx.qs(c, "SELECT id, vc, u8, l1, tx, ch, en, st FROM types ORDER BY id")


@check
def check_types_mysqlclient(ctx):
    c = ctx.my()
    return [ctx.m(c, "SELECT * FROM types ORDER BY id"),
            ctx.m(c, "SELECT * FROM types WHERE 1 = 0"),
            ctx.m(c, "SELECT de, dz, fl, db, dt6, tm6, ts, yr, b64, js, uu FROM types ORDER BY id")]


TYPES_BUT_MB = ("id, ti, tiu, si, mi, i, bi, biu, bo, de, dz, fl, fl2, db, d, dt, dt6, ts, tm, tm6, "
                "yr, ch, vc, bn, vb, tt, tx, mt, lt, tb, bl, LENGTH(mb), MD5(mb), lb, en, st, b1, "
                "b64, js, u8, l1, uu, i6, pt")


@check
def check_types_cli(ctx):
    return ctx.cli("SELECT * FROM types WHERE id > 1 ORDER BY id;\n"
                   "SELECT %s FROM types WHERE id = 1;\n" % TYPES_BUT_MB +
                   "SELECT id, vc, u8, HEX(lb) IS NULL, LENGTH(mb) FROM types ORDER BY id;\n"
                   "SELECT * FROM types WHERE id < 0;\n")


@check
def check_decimal(ctx):
    c = ctx.pm()
    return ctx.qs(
        c,
        "SELECT de, de * 2, de / 3, -de, ROUND(de, 5), TRUNCATE(de, 2), CAST(de AS DECIMAL(65,10)), "
        "CAST(de AS DOUBLE), dz, fl2, fl, db FROM types ORDER BY id",
        "SELECT SUM(de), AVG(de), MIN(de), MAX(de), COUNT(de), SUM(fl2), AVG(i), SUM(biu), "
        "STD(i), VARIANCE(si), BIT_OR(tiu), GROUP_CONCAT(id ORDER BY id) FROM types",
        "SELECT 1/3, 0.1 + 0.2, 0.1e0 + 0.2e0, 10/4, 1/7 * 7, CAST(1/3 AS DECIMAL(30,28)), "
        "99999999999999999999999999999999999999999999999999999999999999999 + 0, "
        "CAST('1.23456789e-5' AS DECIMAL(20,15)), 2.5 DIV 1, ROUND(2.5), ROUND(-2.5), ROUND(2.5e0)",
        "SET SESSION div_precision_increment = 10",
        "SELECT 1/3, @@div_precision_increment",
    )


@check
def check_temporal(ctx):
    c = ctx.pm()
    return ctx.qs(
        c,
        "SELECT CAST('2024-02-29 12:34:56.123456' AS DATETIME(6)), "
        "CAST('2024-02-29 12:34:56.5' AS DATETIME(1)), TIME'-838:59:59', "
        "CAST('12:00:00.000001' AS TIME(6)), DATE'2000-01-01', TIMESTAMP'2000-01-01 00:00:00.25', "
        "SEC_TO_TIME(3661.5), TIMESTAMPDIFF(MICROSECOND, '2020-01-01', '2020-01-02'), "
        "MAKETIME(-1, 2, 3.5), MAKEDATE(2024, 60), LAST_DAY('2024-02-10'), "
        "CAST('0000-00-00' AS DATE), CAST(20240229 AS DATE)",
        "SELECT d, dt, dt6, ts, tm, tm6, yr, DATE_ADD(dt6, INTERVAL 1 MICROSECOND), dt6 + 0, "
        "tm6 + 0, YEAR(d), DAYNAME(d), DATE_FORMAT(dt6, '%Y/%m/%d %H.%i.%s.%f'), "
        "UNIX_TIMESTAMP(ts), TIME_TO_SEC(tm6), EXTRACT(MICROSECOND FROM dt6) FROM types ORDER BY id",
        "SET time_zone = '+05:30'",
        "SELECT FROM_UNIXTIME(0), FROM_UNIXTIME(1600000000.123456), UNIX_TIMESTAMP('2020-01-01 00:00:00.5'), "
        "CONVERT_TZ('2020-01-01 00:00:00', '+00:00', '-03:00'), ts, @@time_zone FROM types WHERE id = 1",
        "SET time_zone = DEFAULT",
        "SELECT CAST('2020-13-45' AS DATE), CAST('25:61:61' AS TIME), CAST('x' AS DATETIME)",
    )


@check
def check_strings_charsets(ctx):
    c = ctx.pm()
    return ctx.qs(
        c,
        "SELECT u8, LENGTH(u8), CHAR_LENGTH(u8), HEX(u8), l1, HEX(l1), CONCAT(u8, l1), UPPER(vc), "
        "CAST(u8 AS BINARY), CONVERT(u8 USING latin1), COLLATION(u8), CHARSET(l1), "
        "u8 = UPPER(u8), vc LIKE 'H%' FROM types ORDER BY id",
        "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci",
        "SELECT @@collation_connection, 'a' = '\u00e1', STRCMP('a', 'B'), u8 FROM types WHERE id = 1",
        "SET NAMES binary",
        "SELECT vc, u8, 'x' FROM types WHERE id = 1",
        "SET character_set_results = NULL",
        "SELECT vc, u8, HEX(l1) FROM types WHERE id = 1",
        "SET NAMES utf8mb4",
        "SELECT '', NULL, _binary'', tb, lb, vc, ch, bn, vb, IFNULL(NULL, ''), COALESCE(NULL, NULL), "
        "NULLIF('', ''), LENGTH(''), '' IS NULL, CONCAT('a', NULL) FROM types WHERE id IN (2, 3) ORDER BY id",
    ) + ctx.qs(
        ctx.pm(charset="latin1"),
        "SELECT 'caf\u00e9' AS x, l1, vc, @@character_set_client, @@character_set_results, "
        "@@collation_connection FROM types WHERE id = 1",
        "SET NAMES latin1 COLLATE latin1_german2_ci",
        "SELECT @@collation_connection, 'a' = '\u00e4', l1 FROM types WHERE id = 1",
    )


@check
def check_dml(ctx):
    c = ctx.pm()
    return ctx.qs(
        c,
        "INSERT INTO ai (k, v) VALUES ('a1', 1), ('a2', 2), ('a3', 3)",
        "SELECT LAST_INSERT_ID()",
        "INSERT INTO ai (k) VALUES ('a4')",
        "SELECT LAST_INSERT_ID(), ROW_COUNT()",
        "INSERT INTO ai (id, k) VALUES (100, 'explicit')",
        "SELECT LAST_INSERT_ID()",
        "INSERT INTO ai (k) VALUES ('after100')",
        "UPDATE ai SET v = v + 10 WHERE id > 3",
        "SELECT ROW_COUNT()",
        "UPDATE ai SET v = v WHERE id > 3",
        "SELECT ROW_COUNT()",
        "UPDATE ai SET v = 0 WHERE id = 12345",
        "DELETE FROM ai WHERE k = 'a1'",
        "SELECT ROW_COUNT()",
        "REPLACE INTO ai (id, k, v) VALUES (2, 'two', 22)",
        "SELECT ROW_COUNT()",
        "INSERT INTO ai (k, v) VALUES ('one', 5) ON DUPLICATE KEY UPDATE v = VALUES(v)",
        "SELECT ROW_COUNT(), LAST_INSERT_ID()",
        "INSERT INTO ai (k, v) VALUES ('one', 5) ON DUPLICATE KEY UPDATE v = VALUES(v)",
        "INSERT INTO ai (k, v) VALUES ('fresh', 5) ON DUPLICATE KEY UPDATE v = VALUES(v)",
        "INSERT INTO ai (k, v) VALUES ('one', 6), ('fresh2', 7) ON DUPLICATE KEY UPDATE v = v + 1",
        "INSERT IGNORE INTO ai (k) VALUES ('one'), ('ignored_new')",
        "INSERT INTO ai (k, v) SELECT CONCAT('copy', id), v FROM ai WHERE id <= 3",
        "SELECT LAST_INSERT_ID(42)",
        "SELECT LAST_INSERT_ID()",
        "INSERT INTO ai (k) VALUES ('x1')",
        "SELECT LAST_INSERT_ID()",
        "SELECT SQL_CALC_FOUND_ROWS id FROM ai ORDER BY id LIMIT 2",
        "SELECT FOUND_ROWS()",
        "SELECT id FROM ai ORDER BY id LIMIT 1",
        "SELECT FOUND_ROWS()",
        "UPDATE myisam_t SET v = 'c' WHERE id = 2",
        "SELECT * FROM ai ORDER BY id",
    )


@check
def check_found_rows_flag(ctx):
    c = ctx.pm(flags=CLIENT.FOUND_ROWS)
    return ctx.qs(c, "UPDATE ai SET v = v WHERE id <= 2",
                  "INSERT INTO ai (k, v) VALUES ('one', 1) ON DUPLICATE KEY UPDATE v = 1",
                  "INSERT INTO ai (k, v) VALUES ('one', 1) ON DUPLICATE KEY UPDATE v = 2",
                  "SELECT ROW_COUNT()")


@check
def check_client_flags(ctx):
    """Client capability flags that change the server's behaviour."""
    sp = ctx.pm(flags=CLIENT.IGNORE_SPACE)
    out = {"ignore_space": ctx.qs(sp, "SELECT @@sql_mode", "SELECT COUNT (*) FROM ai")}
    m = ctx.my(client_flag=MCLIENT.IGNORE_SPACE)
    out["ignore_space_mysqlclient"] = ctx.m(m, "SELECT COUNT (*) FROM ai")
    return out


@check
def check_dml_mysqlclient(ctx):
    c = ctx.my()
    return [ctx.m(c, s) for s in (
        "INSERT INTO ai (k, v) VALUES ('m1', 1), ('m2', 2)",
        "UPDATE ai SET v = v + 1 WHERE k LIKE 'm%'",
        "UPDATE ai SET v = v WHERE k LIKE 'm%'",
        "INSERT INTO ai (k, v) VALUES ('m1', 0) ON DUPLICATE KEY UPDATE v = 99",
        "DELETE FROM ai WHERE k = 'm2'",
        "SELECT LAST_INSERT_ID(), ROW_COUNT()",
        "INSERT INTO strict_t VALUES ('a', 1, '2020-01-01'), ('b', 2, NULL)",
    )]


@check
def check_warnings(ctx):
    c = ctx.pm()
    return ctx.qs(
        c,
        "SELECT 1/0",
        "SHOW WARNINGS",
        "SELECT @@warning_count, @@error_count",
        "SELECT CAST('12abc' AS INT), CAST('x' AS DECIMAL), CAST(-1 AS UNSIGNED)",
        "SHOW COUNT(*) WARNINGS",
        "SHOW WARNINGS LIMIT 1",
        "SHOW WARNINGS LIMIT 1, 5",
        "DROP TABLE IF EXISTS no_such_table",
        "SET sql_mode = ''",
        "INSERT INTO strict_t VALUES ('toolongvalue', 1000, '2020-13-45'), (NULL, -1000, 'x')",
        "SHOW WARNINGS",
        "SELECT @@warning_count",
        "UPDATE strict_t SET n = n * 1000",
        "SET sql_mode = DEFAULT",
        "SELECT 1",
        "SHOW WARNINGS",
        "SET @@session.group_concat_max_len = 4",
        "SELECT GROUP_CONCAT(k ORDER BY id) FROM ai",
        "SET @@session.group_concat_max_len = DEFAULT",
        "SELECT * FROM types WHERE vc = 1",
        "DO 1/0, SLEEP(0)",
        "SHOW WARNINGS",
    )


ERRORS = [
    "SELEC 1",
    "SELECT * FROM nope",
    "SELECT nope FROM types",
    "SELECT id FROM types ORDER BY nope",
    "SELECT id FROM types a JOIN types b",
    "INSERT INTO ai (k) VALUES ('one')",
    "INSERT INTO strict_t (s) VALUES ('toolongvalue')",
    "INSERT INTO strict_t (s, n) VALUES ('a', 1000)",
    "INSERT INTO strict_t (s) VALUES (NULL)",
    "INSERT INTO strict_t (s, n) VALUES ('a', 1/0)",
    "INSERT INTO strict_t (s, d) VALUES ('a', '2020-13-45')",
    "INSERT INTO child VALUES (1, 999)",
    "DELETE FROM parent WHERE id = 1",
    "USE nope_db",
    "SELECT nope_fn(1)",
    "INSERT INTO ai VALUES (1)",
    "CALL sig()",
    "CALL nope_proc()",
    "SELECT (SELECT id FROM types)",
    "SELECT * FROM conformance.nope.x",
    "CREATE TABLE ai (x INT)",
    "DROP TABLE nope",
    "ALTER TABLE ai ADD COLUMN k INT",
    "SELECT f_add(1)",
    "SIGNAL SQLSTATE '01000' SET MESSAGE_TEXT = 'just a warning'",
    "SIGNAL SQLSTATE 'HY000' SET MESSAGE_TEXT = 'general', MYSQL_ERRNO = 1105",
    "SELECT 1 FROM DUAL WHERE",
    "SELECT CAST('x' AS UNKNOWNTYPE)",
    "SELECT JSON_EXTRACT('{', '$')",
    "EXECUTE nope_stmt",
    "DEALLOCATE PREPARE nope_stmt",
    "SET @@session.nope_variable = 1",
    "SET sql_mode = 'NOPE_MODE'",
    "SET autocommit = 2",
    "SELECT @@global.nope",
    "KILL QUERY 999999999",
    "SELECT 'a' COLLATE latin1_swedish_ci",
    "CREATE TEMPORARY TABLE tmp_dup (a INT, a INT)",
    "SELECT 1; SELECT 2",
    "LOCK TABLES nope READ",
    "SAVEPOINT s1",
    "ROLLBACK TO SAVEPOINT nope_sp",
    "RELEASE SAVEPOINT nope_sp",
    "XA END 'nope'",
]


@check
def check_errors_pymysql(ctx):
    c = ctx.pm()
    out = []
    for sql in ERRORS:
        a = ctx.q(c, sql)
        a["after"] = ctx.scalar(c, "SELECT @@warning_count, @@error_count")
        out.append(a)
    return out


@check
def check_errors_mysqlclient(ctx):
    c = ctx.my()
    return [ctx.m(c, sql) for sql in ERRORS]


@check
def check_read_only_transaction(ctx):
    c = ctx.pm()
    return ctx.qs(c, "START TRANSACTION READ ONLY", "SELECT COUNT(*) FROM ai",
                  "INSERT INTO ai (k) VALUES ('ro')", "SELECT @@in_transaction", "ROLLBACK",
                  "SELECT @@in_transaction")


@check
def check_multi_statements(ctx):
    c = ctx.pm(multi=True)
    out = ctx.qs(
        c,
        "SELECT 1 AS a; SELECT 'x' AS b, NULL AS c; INSERT INTO ai (k) VALUES ('ms1'); "
        "UPDATE ai SET v = 7 WHERE k = 'ms1'; SELECT LAST_INSERT_ID(), ROW_COUNT()",
        "SELECT 1; SELEC 2; SELECT 3",
        "SELECT 'after error'",
        "SET @a = 5; SELECT @a; DO 1/0; SELECT @a + 1",
        "BEGIN; INSERT INTO ai (k) VALUES ('ms2'); SELECT @@in_transaction; ROLLBACK; SELECT @@in_transaction",
        "SELECT * FROM types WHERE id = 3; SELECT * FROM types WHERE id = 2",
        "CALL two_sets(1); SELECT 'tail'",
    )
    plain = ctx.pm(multi=False)
    out.append(ctx.q(plain, "SELECT 1; SELECT 2"))
    m = ctx.my(multi=True)
    out.append(ctx.m(m, "SELECT 1 AS a; SELECT 'b' AS b; UPDATE ai SET v = v WHERE id = 1; "
                        "SELECT nope FROM nowhere; SELECT 'not reached'"))
    return out


@check
def check_stored_procedures(ctx):
    c = ctx.pm()
    out = ctx.qs(
        c,
        "CALL two_sets(2)",
        "CALL two_sets(0)",
        "SET @y = NULL, @z = 'in'",
        "CALL p_out(21, @y, @z)",
        "SELECT @y, @z",
        "CALL p_dml()",
        "SELECT ROW_COUNT()",
        "SELECT f_add(2, 3), f_add(NULL, 1)",
        "CALL sig()",
        "SHOW CREATE PROCEDURE two_sets",
        "SHOW CREATE FUNCTION f_add",
    )
    m = ctx.my()
    out.append(ctx.m(m, "CALL two_sets(3)"))
    return out


@check
def check_transactions(ctx):
    c = ctx.pm()
    return ctx.qs(
        c,
        "BEGIN",
        "INSERT INTO ai (k) VALUES ('tx1')",
        "SELECT @@in_transaction, COUNT(*) FROM ai",
        "ROLLBACK",
        "SELECT @@in_transaction, COUNT(*) FROM ai",
        "SET autocommit = 0",
        "SELECT @@autocommit",
        "INSERT INTO ai (k) VALUES ('tx2')",
        "SAVEPOINT sp1",
        "INSERT INTO ai (k) VALUES ('tx3')",
        "ROLLBACK TO SAVEPOINT sp1",
        "RELEASE SAVEPOINT sp1",
        "COMMIT",
        "SELECT k FROM ai WHERE k LIKE 'tx%' ORDER BY k",
        "COMMIT",
        "SET autocommit = 1",
        "START TRANSACTION WITH CONSISTENT SNAPSHOT",
        "SELECT COUNT(*) FROM ai",
        "COMMIT",
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "BEGIN",
        "SELECT @@tx_isolation, @@transaction_isolation",
        "COMMIT",
        "SELECT @@tx_isolation",
        "SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE",
        "SELECT @@tx_isolation",
        "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
        "BEGIN",
        "UPDATE myisam_t SET v = 'tx' WHERE id = 1",
        "ROLLBACK",
        "SELECT v FROM myisam_t WHERE id = 1",
        "XA START 'xa1'",
        "INSERT INTO ai (k) VALUES ('xa')",
        "XA END 'xa1'",
        "XA PREPARE 'xa1'",
        "XA ROLLBACK 'xa1'",
        "SELECT COUNT(*) FROM ai WHERE k = 'xa'",
    )


@check
def check_show(ctx):
    c = ctx.pm()
    return ctx.qs(
        c,
        "SHOW DATABASES LIKE 'conformance'",
        "SHOW TABLES",
        "SHOW FULL TABLES",
        "SHOW COLUMNS FROM types",
        "SHOW FULL COLUMNS FROM ai",
        "SHOW INDEX FROM types",
        "SHOW KEYS FROM child",
        "SHOW CREATE TABLE types",
        "SHOW CREATE TABLE child",
        "SHOW CREATE VIEW v_types",
        "SHOW CREATE DATABASE conformance",
        "SHOW CHARACTER SET LIKE 'utf8mb4'",
        "SHOW COLLATION LIKE 'utf8mb4_bin'",
        "SHOW VARIABLES LIKE 'character_set_c%'",
        "SHOW SESSION VARIABLES WHERE Variable_name IN ('sql_mode', 'autocommit', 'time_zone', "
        "'collation_connection', 'max_allowed_packet', 'net_write_timeout', 'wait_timeout', "
        "'tx_isolation', 'sql_auto_is_null', 'big_tables', 'sql_select_limit')",
        "SHOW ENGINES",
        "SHOW STATUS LIKE 'Ssl_cipher'",
        "SHOW WARNINGS",
        "SHOW ERRORS",
        "SHOW PRIVILEGES",
        "SHOW TRIGGERS",
        "SHOW TABLE STATUS LIKE 'no_such%'",
        "SHOW EVENTS",
        "SHOW PLUGINS SONAME LIKE 'nope%'",
        "SHOW OPEN TABLES FROM conformance LIKE 'no_such%'",
        "DESCRIBE ai",
        "EXPLAIN SELECT * FROM ai WHERE id = 1",
        "HELP 'nope_topic'",
    )


@check
def check_show_grants(ctx):
    c = ctx.pm()
    return ctx.scalar(c, "SHOW GRANTS")


@check
def check_processlist(ctx):
    c = ctx.pm()
    ctx.step()
    cur = c.cursor()
    cur.execute("SHOW PROCESSLIST")
    fields = [field_of(f) for f in cur._result.fields]
    own = [r for r in cur.fetchall() if r[7] == "SHOW PROCESSLIST"]
    ans = {"fields": fields, "own_rows": len(own)}
    if own:
        r = own[0]
        ans["own_row"] = {"user": r[1], "host": r[2], "db": r[3], "command": r[4], "info": r[7]}
    ctx.step()
    cur.execute("SELECT COUNT(*) > 0 FROM information_schema.PROCESSLIST "
                "WHERE ID = CONNECTION_ID() AND INFO LIKE 'SELECT COUNT(*)%'")
    ans["information_schema_own_row"] = cur.fetchone()[0]
    return ans


@check
def check_information_schema(ctx):
    c = ctx.pm()
    return ctx.qs(
        c,
        "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, ROW_FORMAT, TABLE_COLLATION, TABLE_COMMENT "
        "FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'conformance' ORDER BY TABLE_NAME",
        "SELECT COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE, "
        "CHARACTER_MAXIMUM_LENGTH, CHARACTER_OCTET_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, "
        "DATETIME_PRECISION, CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_TYPE, COLUMN_KEY, EXTRA "
        "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'conformance' AND TABLE_NAME = 'types' "
        "ORDER BY ORDINAL_POSITION",
        "SELECT TABLE_NAME, NON_UNIQUE, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, INDEX_TYPE "
        "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'conformance' "
        "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        "SELECT ROUTINE_NAME, ROUTINE_TYPE, DTD_IDENTIFIER, ROUTINE_DEFINITION, IS_DETERMINISTIC, "
        "SQL_DATA_ACCESS, SECURITY_TYPE, SQL_MODE FROM information_schema.ROUTINES "
        "WHERE ROUTINE_SCHEMA = 'conformance' ORDER BY ROUTINE_NAME",
        "SELECT CONSTRAINT_NAME, TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, "
        "REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
        "WHERE TABLE_SCHEMA = 'conformance' ORDER BY TABLE_NAME, CONSTRAINT_NAME",
        "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
        "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'conformance'",
        "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.SESSION_VARIABLES "
        "WHERE VARIABLE_NAME IN ('SQL_MODE', 'AUTOCOMMIT', 'TIME_ZONE', 'CHARACTER_SET_CLIENT', "
        "'COLLATION_CONNECTION', 'CHARACTER_SET_RESULTS') ORDER BY 1",
        "SELECT VIEW_DEFINITION, CHECK_OPTION, IS_UPDATABLE FROM information_schema.VIEWS "
        "WHERE TABLE_SCHEMA = 'conformance'",
        "SELECT COUNT(*) FROM information_schema.COLLATIONS WHERE CHARACTER_SET_NAME = 'utf8mb4'",
    )


@check
def check_session_state(ctx):
    c = ctx.pm()
    return ctx.qs(
        c,
        "SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES'",
        "SELECT \"id\" FROM \"types\" ORDER BY 1 LIMIT 1",
        "SELECT 'back\\slash', @@sql_mode",
        "SET SESSION sql_mode = DEFAULT",
        "SELECT @@sql_mode",
        "SET @u = 'user var', @n = 42, @d = 1.5, @nul = NULL",
        "SELECT @u, @n, @d, @nul, @undefined",
        "SELECT @n := @n + 1",
        "SELECT @n",
        "SET SESSION sql_select_limit = 2",
        "SELECT id FROM types ORDER BY id",
        "SET SESSION sql_select_limit = DEFAULT",
        "SET @@session.autocommit = 0",
        "SELECT @@autocommit, @@in_transaction",
        "SET autocommit = 1",
        "SET SESSION big_tables = 0, SESSION max_heap_table_size = 1048576",
        "SELECT @@max_heap_table_size",
        "SET SESSION max_heap_table_size = DEFAULT",
        "SET STATEMENT max_statement_time = 10 FOR SELECT @@max_statement_time",
        "SELECT @@max_statement_time",
        "CREATE TEMPORARY TABLE tmp1 (i INT PRIMARY KEY, s VARCHAR(10))",
        "INSERT INTO tmp1 VALUES (1, 'a'), (2, 'b')",
        "SELECT * FROM tmp1 ORDER BY i",
        "SHOW CREATE TABLE tmp1",
        "DROP TEMPORARY TABLE tmp1",
        "SELECT * FROM tmp1",
        "PREPARE s1 FROM 'SELECT ? + 1 AS a, ? AS b, id FROM types WHERE id = 1'",
        "SET @pa = 1, @pb = 'x'",
        "EXECUTE s1 USING @pa, @pb",
        "EXECUTE s1 USING 2, NULL",
        "EXECUTE s1 USING 1",
        "DEALLOCATE PREPARE s1",
        "EXECUTE s1 USING 1, 2",
        "SELECT GET_LOCK('conformance_lock', 0), IS_USED_LOCK('conformance_lock') IS NOT NULL",
        "SELECT RELEASE_LOCK('conformance_lock'), RELEASE_LOCK('conformance_lock')",
    )


@check
def check_large_result(ctx):
    c = ctx.pm()
    ctx.step()
    cur = c.cursor()
    cur.execute("SELECT seq, REPEAT('x', seq % 100), seq * 1.5, IF(seq % 7 = 0, NULL, seq) "
                "FROM seq_1_to_5000")
    rows = cur.fetchall()
    return {"fields": [field_of(f) for f in cur._result.fields], "count": len(rows),
            "md5": hashlib.md5(repr([[tv(v) for v in r] for r in rows]).encode()).hexdigest(),
            "first": [tv(v) for v in rows[0]], "last": [tv(v) for v in rows[-1]],
            "status": status_names(getattr(cur._result, "eof_status", None))}


@check
def check_com_field_list(ctx):
    c = ctx.pm()
    out = {}
    for name, arg in (("types", b"types\0"), ("ai_wild", b"ai\0k%"), ("view", b"v_types\0"),
                      ("unknown", b"nope\0"), ("empty", b"\0")):
        ctx.command(c, 4, arg)
        pkts = []
        while True:
            p = ctx.read(c)
            if isinstance(p, dict):
                pkts.append(p)
                break
            if p[:1] == b"\xfe" and len(p) < 9:
                pkts.append(eof_of(p))
                break
            pkts.append(coldef(p))
        out[name] = pkts
    out["after"] = ctx.scalar(c, "SELECT 'usable'")
    return out


def parse_stat(text):
    """'Uptime: 1  Threads: 2  ...' -> [(key, value)]."""
    return [list(kv) for kv in re.findall(r"([A-Za-z ]+?):\s+(\S+)\s*", text)]


@check
def check_com_statistics(ctx):
    c = ctx.pm()
    ctx.command(c, 9)
    raw = ctx.read(c)
    out = {"pymysql": dict(parse_stat(raw.decode())) if isinstance(raw, bytes) else raw,
           "pymysql_keys": [k for k, _ in parse_stat(raw.decode())] if isinstance(raw, bytes) else None}
    m = ctx.my()
    ctx.step()
    s = m.stat()
    out["mysqlclient"] = dict(parse_stat(s))
    out["mysqlclient_keys"] = [k for k, _ in parse_stat(s)]
    out["after"] = ctx.scalar(c, "SELECT 'usable'")
    return out


@check
def check_com_ping_init_db(ctx):
    c = ctx.pm()
    out = {}
    ctx.command(c, 0x0E)
    out["ping"] = ok_of(ctx.read(c))
    ctx.command(c, 0x02, b"mysql")
    p = ctx.read(c)
    out["init_db"] = ok_of(p) if isinstance(p, bytes) else p
    out["db"] = ctx.scalar(c, "SELECT DATABASE()")
    ctx.command(c, 0x02, b"nope_db")
    out["init_db_unknown"] = ctx.read(c)
    out["db_after_error"] = ctx.scalar(c, "SELECT DATABASE()")
    ctx.command(c, 0x02, b"conformance")
    p = ctx.read(c)
    out["init_db_back"] = ok_of(p) if isinstance(p, bytes) else p
    out["use"] = ctx.q(c, "USE mysql")
    out["db2"] = ctx.scalar(c, "SELECT DATABASE()")
    out["use_back"] = ctx.q(c, "USE conformance")
    n = ctx.pm(database=None)
    out["no_db"] = ctx.q(n, "SELECT DATABASE()")
    out["no_db_table"] = ctx.q(n, "SELECT * FROM ai")
    m = ctx.my()
    ctx.step()
    out["mysqlclient_ping"] = m.ping()
    m.select_db("mysql")
    out["mysqlclient_select_db"] = ctx.m(m, "SELECT DATABASE()")
    try:
        m.select_db("nope_db")
        out["mysqlclient_select_db_unknown"] = "no error"
    except MySQLdb.MySQLError as e:
        out["mysqlclient_select_db_unknown"] = [e.args[0], e.args[1], m.sqlstate()]
    return out


@check
def check_com_set_option(ctx):
    c = ctx.pm(multi=True)
    out = {}
    ctx.command(c, 0x1B, struct.pack("<H", 1))     # MYSQL_OPTION_MULTI_STATEMENTS_OFF
    p = ctx.read(c)
    out["off"] = eof_of(p) if isinstance(p, bytes) and p[:1] == b"\xfe" else p
    out["multi_when_off"] = ctx.q(c, "SELECT 1; SELECT 2")
    ctx.command(c, 0x1B, struct.pack("<H", 0))     # ON
    p = ctx.read(c)
    out["on"] = eof_of(p) if isinstance(p, bytes) and p[:1] == b"\xfe" else p
    out["multi_when_on"] = ctx.q(c, "SELECT 1; SELECT 2")
    ctx.command(c, 0x1B, struct.pack("<H", 7))     # unknown option
    out["unknown"] = ctx.read(c)
    m = ctx.my()
    out["mysqlclient_multi_default"] = ctx.m(m, "SELECT 1; SELECT 2")
    ctx.step()
    m.set_server_option(0)                          # MYSQL_OPTION_MULTI_STATEMENTS_ON
    out["mysqlclient_multi_on"] = ctx.m(m, "SELECT 1; SELECT 2")
    return out


@check
def check_com_reset_connection(ctx):
    c = ctx.pm()
    out = {"before": ctx.qs(c, "SET @x = 1, SESSION sql_mode = 'ANSI_QUOTES', time_zone = '+01:00'",
                            "CREATE TEMPORARY TABLE tmp_reset (i INT)",
                            "PREPARE s_reset FROM 'SELECT 1'",
                            "BEGIN", "INSERT INTO ai (k) VALUES ('reset')")}
    ctx.command(c, 0x1F)
    p = ctx.read(c)
    out["reset"] = ok_of(p) if isinstance(p, bytes) else p
    out["after"] = ctx.qs(c, "SELECT @x, @@sql_mode, @@time_zone, @@in_transaction, DATABASE()",
                          "SELECT * FROM tmp_reset", "EXECUTE s_reset",
                          "SELECT COUNT(*) FROM ai WHERE k = 'reset'")
    return out


@check
def check_change_user(ctx):
    m = ctx.my()
    out = {"before": [ctx.m(m, "SET @cu = 1"), ctx.m(m, "CREATE TEMPORARY TABLE tmp_cu (i INT)")]}
    ctx.step()
    m.change_user(USER, PASSWORD, "mysql")
    out["after"] = [ctx.m(m, "SELECT @cu, DATABASE()"), ctx.m(m, "SELECT * FROM conformance.tmp_cu")]
    ctx.step()
    try:
        m.change_user(USER, "wrong-password", DB)
        out["wrong_password"] = "no error"
    except MySQLdb.MySQLError as e:
        out["wrong_password"] = [e.args[0], e.args[1]]
    return out


@check
def check_connect_errors(ctx):
    out = {}
    for name, kw in (("wrong_password", {"password": "nope"}),
                     ("unknown_user", {"user": "nobody_here", "password": "x"}),
                     ("unknown_db", {"database": "nope_db"}),
                     ("empty_password", {"password": ""})):
        try:
            ctx.pm(**kw)
            out["pymysql_" + name] = "connected"
        except pymysql.MySQLError as e:
            out["pymysql_" + name] = err_of(e)
        try:
            ctx.my(**kw)
            out["mysqlclient_" + name] = "connected"
        except MySQLdb.MySQLError as e:
            out["mysqlclient_" + name] = [e.args[0], e.args[1]]
    return out


@check
def check_mysqlclient_info(ctx):
    m = ctx.my()
    return {"server_info": m.get_server_info(), "proto_info": m.get_proto_info(),
            "host_info": m.get_host_info(), "character_set_name": m.character_set_name(),
            "charset_info": m.get_character_set_info(), "thread_id": m.thread_id(),
            "autocommit": m.get_autocommit(), "sqlstate": m.sqlstate(),
            "show_warnings_empty": list(m.show_warnings())}


# -- the binary protocol, by hand through PyMySQL's packet layer -------------------------------

T_NULL, T_LONG, T_LONGLONG, T_DOUBLE, T_STRING, T_BLOB, T_DATETIME, T_TIME, T_DATE = (
    6, 3, 8, 5, 254, 252, 12, 11, 10)


def encode_param(v):
    """(type, unsigned flag, bytes) for a binary-protocol parameter value."""
    if v is None:
        return T_NULL, 0, b""
    if isinstance(v, bool):
        return T_LONGLONG, 0, struct.pack("<q", int(v))
    if isinstance(v, int):
        if v > 0x7FFFFFFFFFFFFFFF:
            return T_LONGLONG, 0x80, struct.pack("<Q", v)
        return T_LONGLONG, 0, struct.pack("<q", v)
    if isinstance(v, float):
        return T_DOUBLE, 0, struct.pack("<d", v)
    if isinstance(v, datetime.datetime):
        return T_DATETIME, 0, struct.pack("<BHBBBBBI", 11, v.year, v.month, v.day, v.hour,
                                          v.minute, v.second, v.microsecond)
    if isinstance(v, datetime.date):
        return T_DATE, 0, struct.pack("<BHBB", 4, v.year, v.month, v.day)
    if isinstance(v, datetime.timedelta):
        neg = v < datetime.timedelta(0)
        v = -v if neg else v
        return T_TIME, 0, struct.pack("<BBIBBBI", 12, neg, v.days, v.seconds // 3600,
                                      v.seconds // 60 % 60, v.seconds % 60, v.microseconds)
    if isinstance(v, decimal.Decimal):
        v = str(v)
    if isinstance(v, str):
        v = v.encode()
        t = T_STRING
    else:
        t = T_BLOB
    n = len(v)
    if n < 251:
        ln = bytes([n])
    elif n < 1 << 16:
        ln = b"\xfc" + struct.pack("<H", n)
    elif n < 1 << 24:
        ln = b"\xfd" + n.to_bytes(3, "little")
    else:
        ln = b"\xfe" + struct.pack("<Q", n)
    return t, 0, ln + v


class Stmt:
    """One binary-protocol statement on a PyMySQL connection, answers recorded."""

    def __init__(self, ctx, conn, sql):
        self.ctx, self.conn, self.sql = ctx, conn, sql
        self.id = None
        self.nparams = self.ncols = 0

    def prepare(self):
        self.ctx.command(self.conn, 0x16, self.sql.encode())
        p = self.ctx.read(self.conn)
        if isinstance(p, dict):
            return {"prepare": self.sql, **p}
        self.id, self.ncols, self.nparams = struct.unpack_from("<IHH", p, 1)
        ans = {"prepare": self.sql, "stmt_id": self.id, "columns": self.ncols,
               "params": self.nparams, "warnings": struct.unpack_from("<H", p, 10)[0]
               if len(p) >= 12 else None}
        for what, n in (("param_defs", self.nparams), ("column_defs", self.ncols)):
            if n:
                ans[what] = [coldef(self.ctx.read(self.conn)) for _ in range(n)]
                ans[what + "_eof"] = eof_of(self.ctx.read(self.conn))
        return ans

    def execute(self, params=(), cursor=0, bind=True):
        self.ctx.step()
        body = struct.pack("<IBI", self.id, cursor, 1)
        if self.nparams:
            enc = [encode_param(v) for v in params]
            bitmap = bytearray((self.nparams + 7) // 8)
            for i, v in enumerate(params):
                if v is None:
                    bitmap[i // 8] |= 1 << (i % 8)
            body += bytes(bitmap) + (b"\x01" if bind else b"\x00")
            if bind:
                body += b"".join(struct.pack("<BB", t, u) for t, u, _ in enc)
            body += b"".join(d for _, _, d in enc)
        self.conn._execute_command(0x17, body)
        return self.read_result()

    def read_result(self):
        sets = []
        while True:
            p = self.ctx.read(self.conn)
            if isinstance(p, dict):
                sets.append(p)
                return sets
            if p[:1] == b"\x00":
                ok = ok_of(p)
                sets.append(ok)
                if "MORE_RESULTS_EXISTS" not in ok["status"]:
                    return sets
                continue
            ncols, _ = lenenc(p, 0)
            cols = [coldef(self.ctx.read(self.conn)) for _ in range(ncols)]
            eof = eof_of(self.ctx.read(self.conn))
            res = {"column_defs": cols, "columns_eof": eof}
            if "CURSOR_EXISTS" in eof["status"]:
                sets.append(res)
                return sets
            res["rows"], res["end"] = self.read_rows()
            sets.append(res)
            if "MORE_RESULTS_EXISTS" not in res["end"].get("status", []):
                return sets

    def read_rows(self):
        rows = []
        while True:
            p = self.ctx.read(self.conn)
            if isinstance(p, dict):
                return rows, p
            if p[:1] == b"\xfe" and len(p) < 9:
                return rows, eof_of(p)
            rows.append(p.hex() if len(p) <= 512 else "md5:%s len %d" % (
                hashlib.md5(p).hexdigest(), len(p)))

    def fetch(self, n):
        self.ctx.step()
        self.conn._execute_command(0x1C, struct.pack("<II", self.id, n))
        p = self.ctx.read(self.conn)
        if isinstance(p, dict):
            return p
        # The first packet is a row or the closing EOF: read_rows after putting it back.
        if p[:1] == b"\xfe" and len(p) < 9:
            return {"rows": [], "end": eof_of(p)}
        rows, end = self.read_rows()
        return {"rows": [p.hex()] + rows, "end": end}

    def long_data(self, param, data):
        self.ctx.step()
        self.conn._execute_command(0x18, struct.pack("<IH", self.id, param) + data)

    def reset(self):
        self.ctx.step()
        self.conn._execute_command(0x1A, struct.pack("<I", self.id))
        p = self.ctx.read(self.conn)
        return ok_of(p) if isinstance(p, bytes) else p

    def close(self):
        self.ctx.step()
        self.conn._execute_command(0x19, struct.pack("<I", self.id))


def norm_stmt_id(obj, sid):
    """Error messages name the statement id ('Unknown prepared statement handler (7) given to
    mysqld_stmt_execute', 'The statement (7) has no open cursor'): mask it."""
    if isinstance(obj, dict):
        return {k: norm_stmt_id(v, sid) for k, v in obj.items()}
    if isinstance(obj, list):
        return [norm_stmt_id(v, sid) for v in obj]
    if isinstance(obj, str) and sid is not None:
        return obj.replace("(%d)" % sid, "(<stmt_id>)")
    return obj


@check
def check_binary_protocol(ctx):
    c = ctx.pm(flags=CLIENT.PS_MULTI_RESULTS)
    out = []
    s = Stmt(ctx, c, "SELECT * FROM types WHERE id >= ? ORDER BY id")
    out.append(s.prepare())
    out.append({"execute": s.execute([1])})
    out.append({"execute_again_no_rebind": s.execute([3], bind=False)})
    out.append({"execute_string_param": s.execute(["2"])})
    s.close()

    s = Stmt(ctx, c, "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?")
    out.append(s.prepare())
    out.append({"execute": s.execute([None, -5, 1.5, "h\u00e9llo \U0001F600", b"\x00\xff",
                                      18446744073709551615, datetime.datetime(2024, 2, 29, 1, 2, 3, 456789),
                                      datetime.date(1999, 12, 31), datetime.timedelta(hours=-30, microseconds=1),
                                      decimal.Decimal("-12.340"), ""])})
    s.close()

    s = Stmt(ctx, c, "INSERT INTO ai (k, v) VALUES (?, ?)")
    out.append(s.prepare())
    out.append({"insert": s.execute(["bp1", 1])})
    out.append({"insert_again": s.execute(["bp2", 2], bind=False)})
    out.append({"duplicate": s.execute(["bp1", 3])})
    out.append({"null_not_null": s.execute(["bp3", None])})
    out.append({"after": ctx.q(c, "SELECT LAST_INSERT_ID(), ROW_COUNT()")})
    s.close()

    s = Stmt(ctx, c, "SELECT LENGTH(?), MD5(?), ? IS NULL")
    out.append(s.prepare())
    s.long_data(0, b"a" * 70000)
    s.long_data(0, b"b" * 70000)
    s.long_data(1, "\u00e9".encode() * 1000)
    out.append({"long_data": s.execute(["unused", "unused", None])})
    s.long_data(0, b"x")
    out.append({"reset": s.reset()})
    out.append({"after_reset": s.execute(["y", "z", 1])})
    s.close()
    out.append({"execute_closed": norm_stmt_id(s.execute([1, 2, 3]), s.id)})

    s = Stmt(ctx, c, "SELECT seq, CONCAT('row', seq) FROM seq_1_to_10")
    out.append(s.prepare())
    out.append({"cursor_open": s.execute([], cursor=1)})
    out.append({"fetch3": s.fetch(3)})
    out.append({"fetch100": s.fetch(100)})
    out.append({"fetch_after_end": norm_stmt_id(s.fetch(1), s.id)})
    out.append({"cursor_reopen": s.execute([], cursor=1)})
    out.append({"reset_cursor": s.reset()})
    out.append({"fetch_after_reset": norm_stmt_id(s.fetch(1), s.id)})
    s.close()

    s = Stmt(ctx, c, "CALL two_sets(?)")
    out.append(s.prepare())
    out.append({"call": s.execute([2])})
    s.close()
    s = Stmt(ctx, c, "CALL p_out(?, @y_bin, @z_bin)")
    out.append(s.prepare())
    out.append({"call_out_user_vars": s.execute([4])})
    s.close()

    s = Stmt(ctx, c, "UPDATE ai SET v = v + ? WHERE id <= ?")
    out.append(s.prepare())
    out.append({"begin": ctx.q(c, "BEGIN")})
    out.append({"update_in_tx": s.execute([1, 2])})
    out.append({"rollback": ctx.q(c, "ROLLBACK")})
    out.append({"update": s.execute([1, 2])})
    s.close()

    for sql in ("SELEC ?", "SELECT * FROM nope WHERE id = ?", "SELECT ? FROM types WHERE nope = 1",
                "SELECT 1/0", "DO ?", "SET @bp = ?", "SHOW TABLES", "SHOW WARNINGS",
                "SELECT 1; SELECT 2"):
        s = Stmt(ctx, c, sql)
        a = s.prepare()
        if s.id is not None:
            a["execute"] = s.execute([7] * s.nparams)
            s.close()
        out.append(a)
    out.append({"user_var": ctx.q(c, "SELECT @bp")})
    return out


@check
def check_cli_statements(ctx):
    return ctx.cli(
        "SELECT 1 AS a, 'x' AS b, NULL AS c, 1.50 AS d, _binary'ab' AS e;\n"
        "SELECT 1/0;\n"
        "SELECT * FROM nope;\n"
        "INSERT INTO ai (k, v) VALUES ('cli1', 1), ('cli2', 2);\n"
        "UPDATE ai SET v = v + 1 WHERE k LIKE 'cli%';\n"
        "UPDATE ai SET v = v WHERE k LIKE 'cli%';\n"
        "INSERT INTO ai (k) VALUES ('cli1');\n"
        "DELETE FROM ai WHERE k = 'cli2';\n"
        "SELECT LAST_INSERT_ID();\n"
        "CALL two_sets(2);\n"
        "SET sql_mode = '';\n"
        "INSERT INTO strict_t VALUES ('toolongvalue', 1000, 'x');\n"
        "SET sql_mode = DEFAULT;\n"
        "SHOW WARNINGS;\n"
        "SHOW CREATE TABLE ai;\n"
        "SHOW COLUMNS FROM strict_t;\n"
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'conformance';\n"
        "BEGIN;\nINSERT INTO ai (k) VALUES ('cli_tx');\nROLLBACK;\n"
        "SELECT COUNT(*) FROM ai WHERE k = 'cli_tx';\n"
        "SELECT u8, l1, js, uu, i6 FROM types ORDER BY id;\n"
        "USE mysql;\nSELECT DATABASE();\nUSE conformance;\n"
        "DELIMITER //\nSELECT 1 AS d1; SELECT 2 AS d2 //\nDELIMITER ;\n"
        "SELECT 'end';\n")


# ---------------------------------------------------------------------------------------------
# Running and diffing

def run_pass(sock, sandbox, only=(), verbose=False, skip=()):
    """All checks against sock (after a fresh setup); {name: answer}."""
    setup(sandbox)
    answers = {}
    dist = Disturber(sock)
    try:
        for name, fn in CHECKS:
            if only and not any(o in name for o in only):
                continue
            if any(x in name for x in skip):
                continue
            if verbose:
                sys.stderr.write("# conformance: %s\n" % name)
            ctx = Ctx(sock, dist)
            try:
                answers[name] = fn(ctx)
            except Exception as e:  # noqa: BLE001 - a broken check is an answer too
                answers[name] = {"check raised": "%s: %s" % (type(e).__name__, e),
                                 "traceback": traceback.format_exc().splitlines()[-3:]}
            finally:
                ctx.close()
    finally:
        dist.close()
    return answers


def flatten(obj, prefix, out):
    if isinstance(obj, dict):
        for k, v in obj.items():
            flatten(v, "%s/%s" % (prefix, k), out)
        if not obj:
            out[prefix] = "{}"
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            flatten(v, "%s/%d" % (prefix, i), out)
        if not obj:
            out[prefix] = "[]"
    else:
        out[prefix] = obj
    return out


def allowed_reason(path):
    for rx, reason in ALLOWED:
        if re.search(rx, path):
            return reason
    return None


MISSING = "<missing>"


def diff(a, b):
    """[(path, a value, b value, allowed reason or None)] for every leaf that differs."""
    fa = flatten(a, "", {})
    fb = flatten(b, "", {})
    out = []
    for path in list(fa) + [p for p in fb if p not in fa]:
        va, vb = fa.get(path, MISSING), fb.get(path, MISSING)
        if va != vb:
            p = path.lstrip("/")
            out.append((p, va, vb, allowed_reason(p)))
    return out


def context_of(answers, path):
    """The SQL statement a difference belongs to, when there is one."""
    parts = path.split("/")
    node = answers
    sql = None
    for p in parts:
        if isinstance(node, dict):
            if "sql" in node:
                sql = node["sql"]
            elif "prepare" in node:
                sql = node["prepare"]
            node = node.get(p)
        elif isinstance(node, list):
            try:
                node = node[int(p)]
            except (ValueError, IndexError):
                break
        else:
            break
    return sql


def short(v, n=300):
    s = json.dumps(v, ensure_ascii=False, default=str) if not isinstance(v, str) else repr(v)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def broken(answers):
    """Checks that raised (on one side or both): a fault of the check, never a pass."""
    return sorted(n for n, a in answers.items() if isinstance(a, dict) and "check raised" in a)


def report(diffs, a_answers, names=("direct", "mypool"), show_allowed=False, out=sys.stdout,
           b_answers=None):
    """Print the differences; return the number of those not allowed (a check that raised
    counts as one)."""
    diffs = [(p, va, vb, reason or allowed_by_sql(p, a_answers)) for p, va, vb, reason in diffs]
    bad = [d for d in diffs if d[3] is None]
    raised = sorted(set(broken(a_answers)) | set(broken(b_answers or {})))
    for name in raised:
        for n, ans in zip(names, (a_answers, b_answers or {})):
            a = ans.get(name)
            if isinstance(a, dict) and "check raised" in a:
                out.write("BROKEN check %s (%s): %s\n    %s\n" % (
                    name, n, a["check raised"], "\n    ".join(a.get("traceback", []))))
    allowed = [d for d in diffs if d[3] is not None]
    for path, va, vb, _ in bad:
        sql = context_of(a_answers, path)
        out.write("DIFF %s%s\n    %-7s %s\n    %-7s %s\n" % (
            path, ("\n    sql     %s" % short(sql, 200)) if sql else "", names[0], short(va),
            names[1], short(vb)))
    by_reason = {}
    for path, va, vb, reason in allowed:
        by_reason.setdefault(reason, []).append((path, va, vb))
    for reason, items in by_reason.items():
        out.write("allowed: %d difference(s): %s\n" % (len(items), reason))
        if show_allowed:
            for path, va, vb in items:
                out.write("    %s: %s / %s\n" % (path, short(va, 100), short(vb, 100)))
    out.write("conformance: %d checks, %d differences, %d allowed%s\n"
              % (len(a_answers), len(bad), len(allowed),
                 ", %d checks broken" % len(raised) if raised else ""))
    return len(bad) + len(raised)


def compare(direct_sock, other_sock, sandbox, only=(), verbose=False, skip=()):
    """Run every check against both sockets; return (diffs, answers_a, answers_b)."""
    a = run_pass(direct_sock, sandbox, only, verbose, skip)
    b = run_pass(other_sock, sandbox, only, verbose, skip)
    return diff(a, b), a, b


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pool-mode", default=os.environ.get("MYPOOL_TEST_POOL_MODE") or "transaction",
                    choices=("session", "transaction"))
    ap.add_argument("--direct-twice", action="store_true")
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--skip", action="append", default=[])
    ap.add_argument("--dump")
    ap.add_argument("--show-allowed", action="store_true")
    ap.add_argument("-v", action="store_true", dest="verbose")
    args = ap.parse_args(argv)

    import harness
    sb = harness.sandbox()
    daemon = None
    try:
        if args.direct_twice:
            other, names = sb.socket, ("direct", "direct2")
        else:
            daemon = harness.Mypoold(pool_mode=args.pool_mode).start()
            other, names = daemon.socket, ("direct", "mypool")
            print("# conformance: MariaDB %s vs mypoold %s (pool_mode %s)"
                  % (sb.socket, harness.MYPOOLD, args.pool_mode))
        diffs, a, b = compare(sb.socket, other, sb, args.only, args.verbose, args.skip)
        if args.dump:
            os.makedirs(args.dump, exist_ok=True)
            for n, ans in zip(names, (a, b)):
                with open(os.path.join(args.dump, n + ".json"), "w") as f:
                    json.dump(ans, f, indent=1, ensure_ascii=False, default=str)
        bad = report(diffs, a, names, args.show_allowed, b_answers=b)
        if daemon is not None:
            daemon.stop()
            daemon = None
        return 1 if bad else 0
    finally:
        if daemon is not None:
            daemon.kill()
        harness.cleanup()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except SystemExit:
        raise
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        sys.exit(2)
