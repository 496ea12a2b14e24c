"""Hostile clients and faulty servers: one test class per hole of the security review.

Each test here failed on the code before its fix (docs/security.md lists the classes, the limits
and their keys). Transaction-pooling scenarios use test_transaction's Mover to put a client on
another server connection, which is where mypool writes the client's session state into SQL.
"""

import os
import socket
import struct
import threading
import time

import pymysql
import pymysql.cursors

import harness
from test_transaction import Mover, backend_of, q, root_exec

DIRECT = harness.DIRECT

# A double-byte character whose second byte is the backslash (0x5C), per character set. Such a
# character swallows the backslash of an escape sequence: '\x95\\' + "''" reads, in these
# character sets, as one character, an escaped quote and the quote that ends the literal.
BACKSLASH_TRAIL = {
    "gbk": b"\x95\x5c",
    "big5": b"\xa5\x5c",
    "sjis": b"\x95\x5c",
    "cp932": b"\x95\x5c",
    "gb18030": b"\x95\x5c",
}


class SqlInjectionTest(harness.TestCase):
    """mypool writes a client's session variables into the SET it runs on the next server
    connection. A value chosen by the client must never end its literal, whatever character
    set the connection reads the statement in (regression: values were escaped byte by byte,
    which GBK, Big5, SJIS, CP932 and GB18030 undo)."""

    shared_daemon = False

    def start(self):
        if DIRECT:
            return self.sandbox.socket
        d = harness.Mypoold(pool_mode="transaction", pool_size=2).start()
        self.addCleanup(d.stop)
        return d.socket

    def check_charset(self, cs):
        if not root_exec("SHOW CHARACTER SET LIKE '%s'" % cs):
            self.skipTest("this MariaDB has no %s (MariaDB 11.x does)" % cs)
        target = self.start()
        mover = Mover(target)
        self.addCleanup(mover.release)
        # Once out of the literal: a second assignment; '#' comments out the rest of mypool's SET.
        tail = b", @@session.wait_timeout=12345 #"
        value = BACKSLASH_TRAIL[cs] + b"'" + tail
        c = self.connect(target=target, charset=cs, autocommit=True)
        q(c, "SET SESSION wait_timeout = 600")
        # Holders leave the connections they let go of in this character set, so that mypool's
        # SET for c is read in it.
        setup = ("SET NAMES %s" % cs,)
        first = backend_of(c)
        mover.move_from(first, setup)
        q(c, "SET default_master_connection = X'%s'" % value.hex())
        self.assertEqual(q(c, "SELECT HEX(@@default_master_connection)")[0][0], value.hex().upper())
        second = backend_of(c)
        mover.move_from(second, setup)
        # The next statement runs on the first connection again, which mypool brings to c's
        # state with one SET.
        self.assertEqual(q(c, "SELECT HEX(@@default_master_connection), @@wait_timeout"),
                         ((value.hex().upper(), 600),))
        if not DIRECT:
            self.assertNotEqual(backend_of(c), second, "the client did not move")

    def test_gbk(self):
        self.check_charset("gbk")

    def test_big5(self):
        self.check_charset("big5")

    def test_sjis(self):
        self.check_charset("sjis")

    def test_cp932(self):
        self.check_charset("cp932")

    def test_gb18030(self):
        self.check_charset("gb18030")


# ---------------------------------------------------------------------------------------------
# A hostile server: it answers every COM_QUERY with a LOAD DATA LOCAL file request.

class FakeServer:
    """A MySQL server on a Unix socket that lets anyone log in and answers each COM_QUERY with
    a request for the local file `path`, recording what comes back as the file ("files":
    bytes per request; None if the connection closed instead of sending one)."""

    CAPS = (harness.CLIENT_LONG_PASSWORD | harness.CLIENT_FOUND_ROWS | 0x4 | harness.CLIENT_CONNECT_WITH_DB
            | harness.CLIENT_PROTOCOL_41 | harness.CLIENT_TRANSACTIONS | harness.CLIENT_SECURE_CONNECTION
            | harness.CLIENT_MULTI_STATEMENTS | harness.CLIENT_MULTI_RESULTS | harness.CLIENT_PLUGIN_AUTH
            | 0x40000 | 0x200000)

    def __init__(self, path, requested):
        self.path = path
        self.requested = requested
        self.files = []
        self.queries = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def close(self):
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def _accept(self):
        n = 0
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            n += 1
            threading.Thread(target=self._serve, args=(c, n), daemon=True).start()

    @staticmethod
    def _send(c, seq, payload):
        c.sendall(len(payload).to_bytes(3, "little") + bytes([seq & 0xFF]) + payload)

    @staticmethod
    def _recv(c):
        hdr = b""
        while len(hdr) < 4:
            chunk = c.recv(4 - len(hdr))
            if not chunk:
                return None, None
            hdr += chunk
        n = int.from_bytes(hdr[:3], "little")
        data = b""
        while len(data) < n:
            chunk = c.recv(n - len(data))
            if not chunk:
                return None, None
            data += chunk
        return hdr[3], data

    def _ok(self, c, seq, status=0x0002):
        self._send(c, seq, b"\x00\x00\x00" + struct.pack("<HH", status, 0))

    def answer(self, c, seq, sql):
        """Answer a query some other way than with a file request: "answered", or "drop" the
        connection; None: send the file request."""
        return None

    def _serve(self, c, conn_id):
        c.settimeout(30)
        try:
            scramble = b"abcdefghijklmnopqrst"
            hs = (b"\x0a" + b"5.5.5-10.11.99-MariaDB-hostile\0" + struct.pack("<I", conn_id) + scramble[:8] + b"\0"
                  + struct.pack("<H", self.CAPS & 0xFFFF) + bytes([45]) + struct.pack("<H", 2)
                  + struct.pack("<H", self.CAPS >> 16) + bytes([21]) + b"\0" * 10 + scramble[8:] + b"\0"
                  + b"mysql_native_password\0")
            self._send(c, 0, hs)
            seq, _ = self._recv(c)  # any login is fine
            if seq is None:
                return
            self._ok(c, seq + 1)
            while True:
                seq, p = self._recv(c)
                if seq is None or p[:1] == b"\x01":
                    return
                if p[:1] != b"\x03":
                    self._ok(c, seq + 1)
                    continue
                with self.lock:
                    self.queries.append(p[1:])
                how = self.answer(c, seq, p[1:])
                if how == "drop":
                    return
                if how == "answered":
                    continue
                self._send(c, seq + 1, b"\xfb" + self.requested.encode())
                got, nseq = b"", seq + 1
                while True:
                    fseq, chunk = self._recv(c)
                    if fseq is None:
                        with self.lock:
                            self.files.append(None)
                        return
                    nseq = fseq
                    if not chunk:
                        break
                    got += chunk
                with self.lock:
                    self.files.append(got)
                self._ok(c, nseq + 1)
        except OSError:
            pass
        finally:
            c.close()


@harness.mypool_only("a fake server behind mypool")
class LocalInfileTest(harness.TestCase):
    """mypool never reads a local file of its own, whatever a server asks; a server's file
    request reaches a client only as the answer to that client's own LOAD DATA LOCAL
    (regression: server connections were opened with local infile on, so a request in reply
    to mypool's own SET made Connector/C send mypoold's config file)."""

    shared_daemon = False

    def hostile(self, mode):
        path = os.path.join(harness.tmp_root(), "hostile-%s.sock" % mode)
        if os.path.exists(path):
            os.unlink(path)
        secret = os.path.join(harness.tmp_root(), "secret-%s.txt" % mode)
        with open(secret, "w") as f:
            f.write("password = do-not-send-me\n")
        srv = FakeServer(path, secret)
        self.addCleanup(srv.close)
        d = harness.Mypoold(pool_mode=mode, socket=path, pool_size=2).start()
        self.addCleanup(d.stop)
        return srv, d

    def test_own_statement_never_sends_a_file(self):
        # Transaction pooling: mypool's first statement on every server connection (the
        # session trackers' SET) gets the file request.
        srv, d = self.hostile("transaction")
        with self.assertRaises(pymysql.MySQLError) as cm:
            c = self.connect(target=d.socket, database=None)
            q(c, "SELECT 1")
        self.assertIn(cm.exception.args[0], (9002, 9003), cm.exception.args)
        self.assertTrue(srv.files, "the server never asked (the test did not test): %r" % srv.queries)
        self.assertTrue(all(f in (b"", None) for f in srv.files), "mypool sent file data: %r" % srv.files)
        self.assertIn("asked for local file", d.log_text())

    def test_request_without_load_data_is_refused(self):
        # Session pooling relays the client's SELECT as it is; the server answers with a file
        # request nobody asked for: the client must not get it, the connection is dropped.
        srv, d = self.hostile("session")
        c = self.connect(target=d.socket, database=None, local_infile=True, autocommit=None)
        with self.assertRaises(pymysql.MySQLError) as cm:
            q(c, "SELECT 1")
        self.assertEqual(cm.exception.args[0], 9003, cm.exception.args)
        self.assertIn("local file the statement did not name", cm.exception.args[1])
        harness.wait_until(lambda: srv.files, harness.scaled(5))  # the server sees the close
        self.assertEqual(srv.files, [None], "the server got file data or an answer: %r" % srv.files)


class DyingServer(FakeServer):
    """Streams 1000 rows for any SELECT, then dies: at a packet boundary ("between"), or in
    the middle of a row ("torn"); other statements get OK."""

    def __init__(self, path, how):
        super().__init__(path, "")
        self.how = how

    def answer(self, c, seq, sql):
        if not sql.upper().startswith(b"SELECT"):
            # BEGIN opens a transaction (the status says so), anything else is just OK.
            self._ok(c, seq + 1, 0x0003 if sql.upper().startswith(b"BEGIN") else 0x0002)
            if self.how == "halfclose" and sql.upper().startswith(b"SET"):
                # The OK and the end of the stream in one go; the socket stays open for reading.
                c.shutdown(socket.SHUT_WR)
                time.sleep(30)
                return "drop"
            return "answered"
        col = b"".join(bytes([len(x)]) + x for x in (b"def", b"", b"", b"", b"v", b"v"))
        col += b"\x0c" + struct.pack("<HIBHB", 33, 255, 0xfd, 0, 0) + b"\0\0"
        n = seq + 1
        out = [(n, b"\x01"), (n + 1, col), (n + 2, b"\xfe\0\0\x02\0")]
        n += 3
        row = b"\xfa" + b"x" * 250
        for _ in range(1000):
            out.append((n, row))
            n += 1
        data = b"".join(len(p).to_bytes(3, "little") + bytes([q & 0xFF]) + p for q, p in out)
        if self.how == "torn":
            # Half of a 200000-byte row: more than mypool buffers before writing to the client.
            data += (200000).to_bytes(3, "little") + bytes([n & 0xFF]) + b"\xfd" + b"y" * 100000
        elif self.how == "short":
            data += (200000).to_bytes(3, "little") + bytes([n & 0xFF]) + b"\xfd" + b"y" * 500
        c.sendall(data)
        time.sleep(0.2)
        return "drop"


@harness.mypool_only("a fake server behind mypool")
class ServerDiesMidResultTest(harness.TestCase):
    """A server that dies in the middle of a result: the client gets mypool's 9003 where an
    ERR packet may stand (between rows), else its connection is closed; never a hang
    (regression: the client waited for ever for the rest of a row)."""

    shared_daemon = False

    def dying(self, how, mode):
        path = os.path.join(harness.tmp_root(), "dying-%s-%s.sock" % (how, mode))
        if os.path.exists(path):
            os.unlink(path)
        srv = DyingServer(path, how)
        self.addCleanup(srv.close)
        d = harness.Mypoold(pool_mode=mode, socket=path).start()
        self.addCleanup(d.stop)
        return d

    def stream(self, d, **kw):
        c = self.connect(target=d.socket, database=None, read_timeout=harness.scaled(10),
                         cursorclass=pymysql.cursors.SSCursor, **kw)
        cur = c.cursor()
        cur.execute("SELECT v FROM t")
        rows = 0
        started = time.monotonic()
        with self.assertRaises(pymysql.MySQLError) as cm:
            for _ in cur:
                rows += 1
        self.assertLess(time.monotonic() - started, harness.scaled(8), "the client waited for its read timeout")
        return c, rows, cm.exception

    def test_between_rows_transaction_pooling(self):
        d = self.dying("between", "transaction")
        c, rows, e = self.stream(d, autocommit=True)
        self.assertEqual(rows, 1000)
        self.assertEqual(e.args[0], 9003, e.args)
        # Nothing of the client's state was on that connection: the session goes on.
        self.assertEqual(q(c, "DO 1"), ())

    def session_ends(self, mode, state):
        """After `state`, the server dies mid-result: the session is gone with it, and the
        client sees what it would if its own server went away, its connection closing (2013:
        connectors then drop the connection)."""
        d = self.dying("between", mode)
        c = self.connect(target=d.socket, database=None, read_timeout=harness.scaled(10), autocommit=True)
        q(c, state)
        with self.assertRaises(pymysql.MySQLError) as cm:
            q(c, "SELECT v FROM t")
        self.assertEqual(cm.exception.args[0], 2013, cm.exception.args)
        with self.assertRaises(pymysql.MySQLError):
            q(c, "DO 1")

    def test_in_transaction_ends_the_session(self):
        # The transaction died with the server connection: the next statement must not run
        # outside it on another connection, so the session ends after the error.
        self.session_ends("transaction", "BEGIN")

    def test_session_pooling_ends_the_session(self):
        self.session_ends("session", "SET @kept = 1")  # state on that server connection

    def test_half_closed_after_an_answer(self):
        # The server's answer and its end of the stream arrive together; mypool's next command
        # to it is written fine (the server still reads) and must not wait for ever.
        d = self.dying("halfclose", "session")
        c = self.connect(target=d.socket, database=None, read_timeout=harness.scaled(10), autocommit=True)
        q(c, "SET @kept = 1")
        started = time.monotonic()
        with self.assertRaises(pymysql.MySQLError) as cm:
            q(c, "SELECT 1")
        self.assertEqual(cm.exception.args[0], 2013, cm.exception.args)  # session pooling: it ends
        self.assertLess(time.monotonic() - started, harness.scaled(5))

    def test_mid_row_not_yet_sent(self):
        # The part of the row that came is still in mypool's buffer: taken back, then 9003.
        d = self.dying("short", "transaction")
        c, rows, e = self.stream(d, autocommit=True)
        self.assertEqual(rows, 1000)
        self.assertEqual(e.args[0], 9003, e.args)

    def test_mid_row_partly_sent(self):
        # Part of the row reached the client: only closing the connection tells it.
        d = self.dying("torn", "transaction")
        c, rows, e = self.stream(d, autocommit=True)
        self.assertEqual(rows, 1000)
        self.assertEqual(e.args[0], 2013, e.args)


class ProgressServer(FakeServer):
    """Answers SELECT with a result of two columns and 50 rows, sending MariaDB progress
    reports (an ERR with code 0xFFFF) where the server may send them: before the result, between
    the column definitions, before the rows, between rows and before the final EOF."""

    def __init__(self, path):
        super().__init__(path, "")

    @staticmethod
    def progress(stage):
        info = b"Checking table"
        return b"\xff\xff\xff\x01" + bytes([stage, 3]) + (stage * 100).to_bytes(3, "little") + bytes([len(info)]) + info

    def answer(self, c, seq, sql):
        if not sql.upper().startswith(b"SELECT"):
            self._ok(c, seq + 1)
            return "answered"
        def col(name):
            p = b"".join(bytes([len(x)]) + x for x in (b"def", b"", b"", b"", name, name))
            return p + b"\x0c" + struct.pack("<HIBHB", 33, 255, 0xfd, 0, 0) + b"\0\0"
        rows = [bytes([len(b"%d" % i)]) + b"%d" % i + b"\x03row" for i in range(50)]
        body = ([self.progress(1), b"\x02", col(b"n"), self.progress(1), col(b"v"), self.progress(2),
                 b"\xfe\0\0\x02\0", self.progress(2)]
                + rows[:25] + [self.progress(3)] + rows[25:] + [self.progress(3), b"\xfe\0\0\x02\0"])
        c.sendall(b"".join(len(p).to_bytes(3, "little") + bytes([(seq + 1 + i) & 0xFF]) + p
                           for i, p in enumerate(body)))
        return "answered"


@harness.mypool_only("a fake server behind mypool")
class ProgressReportTest(harness.TestCase):
    """MariaDB's progress reports, which the server sends mypool's server connections (they
    announce progress reporting) before and in the middle of a response, never reach a client
    (mypool offers none) and never end or break the response (regression, MariaDB's test
    reopen_temp_table: a report between a CHECK TABLE's column definitions and its rows was
    relayed as an ERR, and the client then waited for ever)."""

    shared_daemon = False

    def check(self, mode):
        path = os.path.join(harness.tmp_root(), "progress-%s.sock" % mode)
        if os.path.exists(path):
            os.unlink(path)
        srv = ProgressServer(path)
        self.addCleanup(srv.close)
        d = harness.Mypoold(pool_mode=mode, socket=path).start()
        self.addCleanup(d.stop)
        c = self.connect(target=d.socket, database=None, read_timeout=harness.scaled(10), autocommit=True)
        cur = c.cursor()
        cur.execute("SELECT n, v FROM t")
        self.assertEqual([d[0] for d in cur.description], ["n", "v"])
        self.assertEqual(cur.fetchall(), tuple((str(i), "row") for i in range(50)))
        self.assertEqual(q(c, "DO 1"), ())
        cur.execute("SELECT n, v FROM t")  # the same again, on whichever server connection
        self.assertEqual(len(cur.fetchall()), 50)

    def test_session_pooling(self):
        self.check("session")

    def test_transaction_pooling(self):
        self.check("transaction")


@harness.mypool_only("mypool's own time limits")
class TimeLimitsTest(harness.TestCase):
    """Time limits a client cannot defeat (regression: client_login_timeout counted per read,
    so trickling bytes held a login slot for ever; a client that stopped reading a result or
    stalled inside a large packet held its server connection for ever)."""

    shared_daemon = False

    def start(self, **cfg):
        cfg.setdefault("pool_mode", "transaction")
        d = harness.Mypoold(**cfg).start()
        self.addCleanup(d.stop)
        return d

    def closed_within(self, rc, seconds):
        """Read until the daemon closes rc; how long that took (fails past `seconds`)."""
        started = time.monotonic()
        rc.sock.settimeout(harness.scaled(seconds))
        try:
            while rc.sock.recv(65536):
                pass
        except (ConnectionResetError, BrokenPipeError):
            pass
        except socket.timeout:
            self.fail("the connection was still open after %.1f s" % harness.scaled(seconds))
        return time.monotonic() - started

    def test_login_trickle(self):
        d = self.start(client_login_timeout="1s")
        rc = self.raw(target=d.socket)
        rc.read_greeting()
        p = rc.handshake_response(harness.APP_USER, harness.APP_PASSWORD, "test")
        data = len(p).to_bytes(3, "little") + b"\x01" + p
        started = time.monotonic()
        try:
            for b in data[:20]:  # one byte every 0.3 s: each read is quick, the login is not
                rc.send_raw(bytes([b]))
                time.sleep(0.3)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.closed_within(rc, 3)
        self.assertLess(time.monotonic() - started, harness.scaled(4))

    def test_client_that_stops_reading(self):
        d = self.start(client_write_timeout="1s", pool_size=1)
        rc = self.raw(target=d.socket)
        rc.login()
        rc.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        rc.command(harness.COM_QUERY, b"SELECT REPEAT('x', 100000) FROM seq_1_to_2000")
        # It never reads: after client_write_timeout mypool lets go of its server connection,
        # and the only one of the pool serves another client.
        time.sleep(0.5)
        c = self.connect(target=d.socket, read_timeout=harness.scaled(10))
        started = time.monotonic()
        self.assertEqual(q(c, "SELECT 7"), ((7,),))
        self.assertLess(time.monotonic() - started, harness.scaled(5))
        self.assertIn("client_write_timeout", d.log_text())

    def test_client_that_stalls_mid_packet(self):
        d = self.start(client_read_timeout="1s", pool_size=1)
        rc = self.raw(target=d.socket)
        rc.login()
        # A 2 MiB COM_QUERY (streamed to the server as it comes) of which 100 bytes come.
        rc.send_raw((2 << 20).to_bytes(3, "little") + b"\x00" + b"\x03SELECT '" + b"x" * 91)
        time.sleep(0.3)
        c = self.connect(target=d.socket, read_timeout=harness.scaled(10))
        started = time.monotonic()
        self.assertEqual(q(c, "SELECT 8"), ((8,),))
        self.assertLess(time.monotonic() - started, harness.scaled(5))
        self.closed_within(rc, 3)


CLIENT_WHOLE_MAX = 1 << 20  # daemon/session_priv.h: larger commands are streamed


lenenc = harness.lenenc_int


@harness.mypool_only("mypool's input buffering")
class StraddleTest(harness.TestCase):
    """Commands larger than the input buffer, each sent in two parts split at every early
    boundary: a handler touches only bytes that have arrived, and the whole command is read
    (regression: the statement commands and KILL read, and even rewrote, bytes that had not
    arrived, and consumed only what was buffered, so the rest was parsed as new commands)."""

    daemon_config = {"pool_mode": "transaction"}
    SPLITS = (0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 17, 100, 20000)
    BIG = CLIENT_WHOLE_MAX + 37

    def session(self):
        rc = self.raw(timeout=harness.scaled(20))
        rc.login()
        return rc

    def prepare(self, rc, sql):
        rc.command(0x16, sql)
        seq, p = rc.read_packet()
        self.assertEqual(p[:1], b"\x00", p)
        stmt, ncols, nparams = struct.unpack("<IHH", p[1:9])
        for _ in range(nparams + (1 if nparams else 0) + ncols + (1 if ncols else 0)):
            rc.read_packet()
        return stmt

    def payloads(self, rc):
        """(name, payload) of each large command to try on session rc."""
        stmt = self.prepare(rc, b"SELECT LENGTH(?)")
        value = b"v" * (self.BIG - 30)
        execute = struct.pack("<BIBI", 0x17, stmt, 0, 1) + b"\x00\x01" + b"\xfe\x00" + lenenc(len(value)) + value
        no_types = struct.pack("<BIBI", 0x17, stmt, 0, 1) + b"\x00\x00" + lenenc(len(value)) + value
        yield "COM_QUERY", b"\x03SELECT LENGTH('" + b"q" * (self.BIG - 20) + b"')"
        yield "COM_STMT_EXECUTE", execute
        yield "COM_STMT_EXECUTE (types bound before)", no_types
        yield "COM_STMT_SEND_LONG_DATA", struct.pack("<BIH", 0x18, stmt, 0) + b"l" * self.BIG
        for name, cmd in (("COM_INIT_DB", 0x02), ("COM_FIELD_LIST", 0x04), ("COM_PROCESS_KILL", 0x0C),
                          ("COM_CHANGE_USER", 0x11), ("COM_STMT_CLOSE", 0x19), ("COM_STMT_RESET", 0x1A),
                          ("COM_SET_OPTION", 0x1B), ("COM_STMT_FETCH", 0x1C), ("COM_PING", 0x0E),
                          ("unknown 0x55", 0x55)):
            yield name, bytes([cmd]) + struct.pack("<I", stmt) + b"z" * self.BIG

    def still_in_step(self, rc, what):
        """The session answers a new command: everything the big one left is read past."""
        rc.command(harness.COM_QUERY, b"SELECT 12345")
        for _ in range(100):
            seq, p = rc.read_packet()
            if p == b"\x0512345":
                seq, p = rc.read_packet()
                self.assertEqual(p[:1], b"\xfe", what)
                return
        self.fail("%s: the session never answered the next command" % what)

    def test_split_at_every_boundary(self):
        rc = self.session()
        for name, payload in list(self.payloads(rc)):
            data = len(payload).to_bytes(3, "little") + b"\x00" + payload
            for k in self.SPLITS:
                rc.send_raw(data[:4 + k])
                time.sleep(0.01)
                rc.send_raw(data[4 + k:])
                self.still_in_step(rc, "%s split after %d bytes" % (name, k))
        self.assertTrue(self.daemon.alive())


@harness.mypool_only("KILL is answered by mypool")
class KillRaceTest(harness.TestCase):
    """KILL of a session that waits for the pool while a server connection is granted to it:
    the wait is cancel-safe whatever wakes it (regression: the grant's message could arrive
    after the session had gone on, referring to a stack frame that was gone). And KILL QUERY
    is sent by the target itself over a connection of its own, so it never interrupts a
    statement of whoever uses the target's old server connection now."""

    shared_daemon = False

    def test_kill_while_granted(self):
        d = harness.Mypoold(pool_mode="transaction", pool_size=1, pool_wait_timeout="5s").start()
        self.addCleanup(d.stop)
        holder = self.connect(target=d.socket, autocommit=True)
        killer = self.connect(target=d.socket, autocommit=True)
        outcomes = {}
        for i in range(30):
            q(holder, "BEGIN")
            q(holder, "SELECT 1")  # holds the only server connection
            waiter = harness.connect(d.socket, autocommit=True, read_timeout=harness.scaled(10))
            box = {}

            def wait_for_pool():
                try:
                    box["rows"] = q(waiter, "SELECT 2")
                except pymysql.MySQLError as e:
                    box["error"] = e.args[0]

            th = threading.Thread(target=wait_for_pool)
            th.start()
            time.sleep(0.05 + (i % 5) * 0.002)
            go = threading.Barrier(2)

            def commit():
                go.wait()
                q(holder, "COMMIT")  # the connection goes to the waiter...

            ct = threading.Thread(target=commit)
            ct.start()
            go.wait()
            if i % 2:
                time.sleep(0.0005 * (i % 7))
            q(killer, "KILL %d" % waiter.thread_id())  # ... as it is killed
            ct.join(10)
            th.join(harness.scaled(10))
            self.assertFalse(th.is_alive(), "round %d: the killed client hangs" % i)
            key = "rows" if "rows" in box else box.get("error")
            outcomes[key] = outcomes.get(key, 0) + 1
            self.assertIn(key, ("rows", 1927, 2013), "round %d: %r" % (i, box))
            waiter.close()
        harness.log("outcomes over 30 rounds: %r" % outcomes)
        # Everyone else is served as before.
        self.assertEqual(q(killer, "SELECT 3"), ((3,),))
        self.assertEqual(q(holder, "SELECT 4"), ((4,),))

    def test_kill_query_stays_with_its_target(self):
        # pool_size 1: the killer gets no server connection of its own while the target runs.
        d = harness.Mypoold(pool_mode="transaction", pool_size=1).start()
        self.addCleanup(d.stop)
        target = self.connect(target=d.socket, autocommit=True, read_timeout=harness.scaled(20))
        other = self.connect(target=d.socket, autocommit=True, read_timeout=harness.scaled(20))
        killer = self.connect(target=d.socket, autocommit=True)
        box = {}

        def run():
            started = time.monotonic()
            try:
                box["rows"] = q(target, "SELECT SLEEP(5)")  # an interrupted SLEEP() returns 1...
            except pymysql.MySQLError as e:
                box["rows"] = e.args[0]  # ... or fails with 1317, as it happens to be stopped
            box["secs"] = time.monotonic() - started

        th = threading.Thread(target=run)
        th.start()
        time.sleep(0.5)
        q(killer, "KILL QUERY %d" % target.thread_id())
        th.join(harness.scaled(10))
        self.assertLess(box["secs"], 3, "the statement was not interrupted")
        self.assertIn(box["rows"], (((1,),), 1317))
        q(target, "DO 1")  # past the statement that keeps the connection for SHOW WARNINGS
        # The only server connection now runs another client's statement: nothing kills it.
        started = time.monotonic()
        self.assertEqual(q(other, "SELECT SLEEP(1)"), ((0,),))
        self.assertGreater(time.monotonic() - started, 0.9)
        self.assertEqual(q(target, "SELECT 5"), ((5,),))


def raw_prepare(rc, sql):
    """COM_STMT_PREPARE on a raw client: the statement id."""
    rc.command(0x16, sql.encode())
    seq, p = rc.read_packet()
    if p[:1] == b"\xff":
        raise harness.parse_err(p)
    stmt, ncols, nparams = struct.unpack("<IHH", p[1:9])
    for _ in range(nparams + (1 if nparams else 0) + ncols + (1 if ncols else 0)):
        rc.read_packet()
    return stmt


def raw_execute_strings(rc, stmt):
    """COM_STMT_EXECUTE of a statement without parameters whose one column is a string: the
    values of its rows (binary protocol)."""
    rc.command(0x17, struct.pack("<IBI", stmt, 0, 1))
    seq, p = rc.read_packet()
    if p[:1] == b"\xff":
        raise harness.parse_err(p)
    ncols = p[0]
    for _ in range(ncols + 1):
        rc.read_packet()
    values = []
    while True:
        seq, p = rc.read_packet()
        if p[:1] == b"\xfe" and len(p) < 9:
            return values
        if p[:1] == b"\xff":
            raise harness.parse_err(p)
        n = p[2]  # header 0x00, a 1-byte null bitmap, then a length-encoded string (< 251 bytes)
        values.append(p[3:3 + n].decode())


@harness.mypool_only("mypool's statement cache")
class StatementCacheTest(harness.TestCase):
    """A statement runs against the table of the database it was prepared in, whoever prepared
    the same text elsewhere on the same server connection (regression: the per-connection cache
    was keyed by SQL text only, so one client's statement ran against another's table)."""

    shared_daemon = False

    def setUp(self):
        super().setUp()
        root_exec("CREATE DATABASE IF NOT EXISTS sc_a", "CREATE DATABASE IF NOT EXISTS sc_b",
                  "CREATE OR REPLACE TABLE sc_a.t (v VARCHAR(10))", "INSERT INTO sc_a.t VALUES ('from a')",
                  "CREATE OR REPLACE TABLE sc_b.t (v VARCHAR(10))", "INSERT INTO sc_b.t VALUES ('from b')")

    def test_same_text_two_databases(self):
        d = harness.Mypoold(pool_mode="transaction", pool_size=1).start()
        self.addCleanup(d.stop)
        a, b = self.raw(target=d.socket), self.raw(target=d.socket)
        a.login(database="sc_a")
        b.login(database="sc_b")
        sa = raw_prepare(a, "SELECT v FROM t")
        sb = raw_prepare(b, "SELECT v FROM t")  # the same text, on the same server connection
        for _ in range(3):
            self.assertEqual(raw_execute_strings(a, sa), ["from a"])
            self.assertEqual(raw_execute_strings(b, sb), ["from b"])

    def test_after_use_and_on_another_connection(self):
        # The server keeps a statement bound to the database of its prepare after USE; through
        # mypool too, also when it is prepared again on another server connection.
        d = harness.Mypoold(pool_mode="transaction", pool_size=2).start()
        self.addCleanup(d.stop)
        a = self.raw(target=d.socket)
        a.login(database="sc_a")
        st = raw_prepare(a, "SELECT v FROM t")
        a.query("USE sc_b")
        self.assertEqual(raw_execute_strings(a, st), ["from a"])
        a.query("DO 1")
        a.query("DO 1")  # past anything that keeps the connection for one more command
        first = a.query("SELECT @@pseudo_thread_id")[2][0][0]
        # A holder takes the connection a used (the warmest idle one), so that a's next execute
        # prepares the statement again on the other one.
        h = self.connect(target=d.socket, autocommit=True)
        q(h, "BEGIN")
        self.assertEqual(q(h, "SELECT @@pseudo_thread_id")[0][0], int(first))
        self.assertEqual(raw_execute_strings(a, st), ["from a"])
        self.assertNotEqual(a.query("SELECT @@pseudo_thread_id")[2][0][0], first, "a did not move")
        self.assertEqual(a.query("SELECT DATABASE()")[2], [[b"sc_b"]])
        q(h, "COMMIT")


@harness.mypool_only("mypool's own limits")
class MemoryLimitsTest(harness.TestCase):
    """Memory a client controls is bounded (regression: prepared statements per session, their
    text and each server connection's statement cache had no bounds; a few hundred 1 MiB
    prepares took hundreds of MB of the worker, and the cache kept them)."""

    shared_daemon = False

    def start(self, **cfg):
        cfg.setdefault("pool_mode", "transaction")
        d = harness.Mypoold(**cfg).start()
        self.addCleanup(d.stop)
        rc = self.raw(target=d.socket)
        rc.login()
        return d, rc

    def test_statement_count(self):
        d, rc = self.start(max_prepared_statements=5)
        ids = [raw_prepare(rc, "SELECT %d" % i) for i in range(5)]
        with self.assertRaises(harness.ServerError) as cm:
            raw_prepare(rc, "SELECT 5")
        self.assertEqual(cm.exception.code, 1461, cm.exception.message)
        rc.command(0x19, struct.pack("<I", ids[0]))  # COM_STMT_CLOSE: room for one more
        raw_prepare(rc, "SELECT 6")
        self.assertEqual(rc.query("SELECT 7")[2], [[b"7"]])

    def test_statement_bytes(self):
        d, rc = self.start(max_prepared_statement_bytes="64K")
        big = "SELECT '%s'" % ("x" * 30000)
        raw_prepare(rc, big + " AS a")
        raw_prepare(rc, big + " AS b")
        with self.assertRaises(harness.ServerError) as cm:
            raw_prepare(rc, big + " AS c")
        self.assertEqual(cm.exception.code, 1461, cm.exception.message)
        self.assertIn("max_prepared_statement_bytes", cm.exception.message)
        self.assertEqual(rc.query("SELECT 8")[2], [[b"8"]])

    def test_cache_bytes(self):
        def prepared_on_server():
            return int(root_exec("SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'")[0][1])

        before = prepared_on_server()
        d, rc = self.start(statement_cache_bytes="64K", pool_size=1)
        for i in range(40):  # 40 statements of 10 KB on the only server connection
            st = raw_prepare(rc, "SELECT %d, '%s'" % (i, "y" * 10000))
            rc.command(0x19, struct.pack("<I", st))  # the client closes each: the cache keeps them
        rc.query("DO 1")
        kept = prepared_on_server() - before
        harness.log("statements kept on the server connection: %d of 40" % kept)
        self.assertLessEqual(kept, 8, "the cache kept more than statement_cache_bytes of statements")


@harness.mypool_only("mypool's metrics endpoint")
class MetricsLimitsTest(harness.TestCase):
    """The metrics endpoint bounds what a peer may send and how long it may take, and its
    socket has its own mode (regression: no limits, and the client socket's 0777)."""

    shared_daemon = False

    def test_limits_and_mode(self):
        path = os.path.join(harness.tmp_root(), "metrics-limits.sock")
        d = harness.Mypoold(pool_mode="transaction", metrics_listen=path, client_login_timeout="1s").start()
        self.addCleanup(d.stop)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o660)

        def request(data, timeout=5):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(harness.scaled(timeout))
            s.connect(path)
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            out = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    out += chunk
            except ConnectionResetError:
                pass
            s.close()
            return out

        huge = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"p" * 100000 + b"\r\n\r\n"
        reply = request(huge)
        self.assertFalse(reply.startswith(b"HTTP/1.1 200"), reply[:80])
        # A peer that sends nothing is dropped after client_login_timeout.
        started = time.monotonic()
        self.assertEqual(request(b"", timeout=10), b"")
        self.assertLess(time.monotonic() - started, harness.scaled(5))
        ok = request(b"GET /metrics HTTP/1.0\r\n\r\n")
        self.assertTrue(ok.startswith(b"HTTP/1.1 200") or ok.startswith(b"HTTP/1.0 200"), ok[:80])


@harness.mypool_only("mypool's own login")
class LoginLeaksTest(harness.TestCase):
    """What a login tells an attacker: an unknown user, a known user with a wrong password and
    a user whose hash mypool knows only as *HEX get the same replies until the final error
    (regression: caching_sha2_password answered an unknown user at once with 1045, a known one
    with another step); repeated failures slow down further attempts for that user only."""

    shared_daemon = False

    def first_reply(self, d, user):
        rc = self.raw(target=d.socket)
        rc.read_greeting()
        token = os.urandom(32)
        rc.send_packet(rc.handshake_response(user, "", None, plugin="caching_sha2_password", token=token), 1)
        seq, p = rc.read_packet()
        return seq, p

    def test_same_first_reply(self):
        users = {harness.APP_USER: harness.APP_PASSWORD,
                 harness.HASH_USER: harness.native_password_hash(harness.HASH_PASSWORD)}
        d = harness.Mypoold(users=users, auth_failure_threshold=0).start()
        self.addCleanup(d.stop)
        replies = {u: self.first_reply(d, u) for u in (harness.APP_USER, harness.HASH_USER, "nosuchuser")}
        self.assertEqual(len(set(replies.values())), 1, replies)
        self.assertEqual(replies["nosuchuser"], (2, b"\x01\x04"))  # full authentication, for all

    def test_failures_slow_down_that_user(self):
        d = harness.Mypoold(auth_failure_threshold=2, auth_failure_delay="700ms").start()
        self.addCleanup(d.stop)

        def attempt(user, password):
            started = time.monotonic()
            try:
                harness.connect(d.socket, user=user, password=password).close()
                ok = True
            except pymysql.MySQLError as e:
                self.assertEqual(e.args[0], 1045, e.args)
                ok = False
            return ok, time.monotonic() - started

        for _ in range(2):
            self.assertEqual(attempt(harness.APP_USER, "wrong")[0], False)
        ok, secs = attempt(harness.APP_USER, "wrong")
        self.assertGreater(secs, 0.6, "the third attempt did not wait")
        ok, secs = attempt(harness.APP_USER, "wrong")
        self.assertGreater(secs, 1.3, "the wait did not double")
        # Another user is not slowed down; the right password still works (after the wait)
        # and clears the count.
        self.assertLess(attempt(harness.HASH_USER, harness.HASH_PASSWORD)[1], 0.5)
        ok, secs = attempt(harness.APP_USER, harness.APP_PASSWORD)
        self.assertTrue(ok)
        self.assertLess(attempt(harness.APP_USER, harness.APP_PASSWORD)[1], 0.5)


def column_type(p):
    """The type byte of a ColumnDefinition41 payload."""
    pos = 0
    for _ in range(6):  # catalog, schema, table, org_table, name, org_name
        n = p[pos]
        pos += 1 + n
    return p[pos + 1 + 2 + 4]  # 0x0c, charset, length, then the type


@harness.mypool_only("mypool's statement cache")
class CachedMetadataTest(harness.TestCase):
    """When MariaDB's metadata cache skips the column definitions of an execute, they are the
    ones the server last sent for that server statement, which another client may have run
    (regression, found by the network fuzzer: mypool filled in the definitions this client got
    at its own PREPARE, so the row did not match its column types)."""

    shared_daemon = False

    def execute_longlong(self, rc, stmt, k):
        """Execute `SELECT CAST(? AS SIGNED) + 1` with a LONGLONG: (column type, row payload)."""
        rc.command(0x17, struct.pack("<IBIBBBBq", stmt, 0, 1, 0, 1, 0x08, 0x00, k))
        seq, p = rc.read_packet()
        if p[:1] == b"\xff":
            raise harness.parse_err(p)
        seq, col = rc.read_packet()
        rc.read_packet()  # EOF
        seq, row = rc.read_packet()
        rc.read_packet()  # EOF
        return column_type(col), row

    def test_other_clients_metadata(self):
        # One thread: the warmest idle connection is the one a client gets next.
        d = harness.Mypoold(pool_mode="transaction", pool_size=2, threads=1).start()
        self.addCleanup(d.stop)
        sql = "SELECT CAST(? AS SIGNED) + 1"
        a, b = self.raw(target=d.socket), self.raw(target=d.socket)
        a.login()
        b.login()
        sa = raw_prepare(a, sql)
        self.assertEqual(self.execute_longlong(a, sa, 41)[0], 0x08)  # the server sent LONGLONG
        a.query("DO 1")
        a.query("DO 1")
        first = int(a.query("SELECT @@pseudo_thread_id")[2][0][0])
        h = self.connect(target=d.socket, autocommit=True)
        q(h, "BEGIN")
        self.assertEqual(q(h, "SELECT @@pseudo_thread_id")[0][0], first)
        sb = raw_prepare(b, sql)  # on the other connection: b's own PREPARE metadata
        b.query("DO 1")
        q(h, "COMMIT")  # a's connection is the warmest idle one again
        ctype, row = self.execute_longlong(b, sb, 99)  # on a's connection, a's server statement
        self.assertEqual(ctype, 0x08, "the column type does not match the row")
        self.assertEqual(row, b"\x00\x00" + struct.pack("<q", 100))
