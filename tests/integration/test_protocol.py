"""Packet-level behaviour: unsupported commands, hostile and truncated input, packet limits."""

import socket
import threading

import pymysql

import harness


class ProtocolTest(harness.TestCase):

    def setUp(self):
        super().setUp()
        # A bystander session that must not notice anything the hostile clients do.
        self.bystander = self.connect(autocommit=True)
        with self.bystander.cursor() as cur:
            cur.execute("SET @bystander = 'still here'")

    def assert_bystander_fine(self):
        with self.bystander.cursor() as cur:
            cur.execute("SELECT @bystander, 1 + 1")
            self.assertEqual(cur.fetchall(), (("still here", 2),))
        c = self.connect()
        with c.cursor() as cur:
            cur.execute("SELECT 'new'")
            self.assertEqual(cur.fetchall(), (("new",),))
        c.close()

    def expect_err_or_close(self, r, what):
        """The server must answer with ERR or close the connection (not hang, not OK)."""
        try:
            pkt = r.read_until_closed_or_packet()
        except socket.timeout:
            self.fail("%s: no ERR and no close within %.0f s" % (what, r.sock.gettimeout()))
        if pkt is None:
            return None
        seq, p = pkt
        self.assertEqual(p[:1], b"\xff", "%s: expected ERR or close, got %r" % (what, p[:40]))
        return harness.parse_err(p)

    def test_unsupported_command_table_dump(self):
        c = self.connect()
        c._execute_command(harness.COM_TABLE_DUMP, b"")
        with self.assertRaises(pymysql.MySQLError) as cm:
            c._read_packet()
        self.assertEqual(cm.exception.args[0], 1047)
        if not harness.DIRECT:
            msg = cm.exception.args[1]
            self.assertTrue(msg.startswith("mypool: command"), msg)
            self.assertIn("not supported", msg)
        with c.cursor() as cur:
            cur.execute("SELECT 1")
            self.assertEqual(cur.fetchall(), ((1,),))
        r = self.raw()
        r.login()
        r.command(harness.COM_TABLE_DUMP, b"test\0")
        with self.assertRaises(harness.ServerError) as cm:
            r.read_result()
        self.assertEqual((cm.exception.code, cm.exception.sqlstate), (1047, "08S01"))
        self.assertEqual(r.query("SELECT 2")[2], [[b"2"]])
        self.assert_bystander_fine()

    @harness.mypool_only("MariaDB starts a binlog stream (and closes) instead of refusing it")
    def test_unsupported_command_binlog_dump(self):
        c = self.connect()
        # COM_BINLOG_DUMP: u32 pos, u16 flags, u32 server id, file name.
        c._execute_command(harness.COM_BINLOG_DUMP,
                           b"\x04\x00\x00\x00\x00\x00\x02\x00\x00\x00mysql-bin.000001")
        with self.assertRaises(pymysql.MySQLError) as cm:
            c._read_packet()
        self.assertEqual(cm.exception.args[0], 1047)
        self.assertTrue(cm.exception.args[1].startswith("mypool: command"), cm.exception.args)
        with c.cursor() as cur:
            cur.execute("SELECT 1")
            self.assertEqual(cur.fetchall(), ((1,),))
        self.assert_bystander_fine()

    def test_garbage_instead_of_handshake_response(self):
        # A well-framed packet with a garbage payload.
        r = self.raw()
        r.read_greeting()
        r.send_packet(b"hello, this is not a handshake response", 1)
        self.expect_err_or_close(r, "garbage packet")
        # Not even framing: an HTTP request, then EOF.
        r = self.raw()
        r.read_greeting()
        r.send_raw(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        r.sock.shutdown(socket.SHUT_WR)
        self.expect_err_or_close(r, "HTTP request")
        # Random binary bytes without reading the greeting first.
        r = self.raw()
        r.send_raw(bytes(range(256)) * 4)
        r.sock.shutdown(socket.SHUT_WR)
        try:
            while r.read_until_closed_or_packet() is not None:
                pass
        except socket.timeout:
            self.fail("random bytes then EOF: connection not closed")
        self.assert_bystander_fine()

    def test_truncated_handshake_response(self):
        # A complete packet whose content stops after 6 bytes.
        r = self.raw()
        r.read_greeting()
        r.send_packet(b"\x85\xa2\x3a\x00\x00\x00", 1)
        self.expect_err_or_close(r, "6-byte handshake response")
        # A real response cut in the middle of the user name.
        r = self.raw()
        r.read_greeting()
        full = r.handshake_response("app", "apppw", "test")
        r.send_packet(full[:34], 1)
        self.expect_err_or_close(r, "response cut after the filler")
        # A header that announces more than is sent, then EOF.
        r = self.raw()
        r.read_greeting()
        r.send_raw(b"\x64\x00\x00\x01" + full[:10])
        r.sock.shutdown(socket.SHUT_WR)
        self.expect_err_or_close(r, "short packet then EOF")
        # Half a header, then EOF.
        r = self.raw()
        r.read_greeting()
        r.send_raw(b"\x40\x00")
        r.sock.shutdown(socket.SHUT_WR)
        self.expect_err_or_close(r, "half a header then EOF")
        self.assert_bystander_fine()

    def test_connect_and_close_immediately(self):
        for _ in range(20):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.target)
            s.close()
        for _ in range(20):
            r = harness.RawClient(self.target)
            r.read_greeting()
            r.close()
        for _ in range(10):  # logged in, then gone without COM_QUIT
            r = harness.RawClient(self.target)
            r.login()
            r.close()
        for _ in range(10):  # in the middle of a query
            r = harness.RawClient(self.target)
            r.login()
            r.command(harness.COM_QUERY, b"SELECT SLEEP(0.2)")
            r.close()
        self.assert_bystander_fine()

    def test_wrong_sequence_id(self):
        # Handshake response with seq 5 instead of 1.
        r = self.raw()
        r.read_greeting()
        r.send_packet(r.handshake_response("app", "apppw", "test"), 5)
        err = self.expect_err_or_close(r, "handshake response with seq 5")
        if err is not None:
            self.assertNotEqual(err.code, 0)
        # A command with seq 3 instead of 0.
        r = self.raw()
        r.login()
        r.send_packet(b"\x03SELECT 1", 3)
        self.expect_err_or_close(r, "COM_QUERY with seq 3")
        self.assert_bystander_fine()

    def test_empty_and_zero_length_packets(self):
        r = self.raw()
        r.login()
        r.send_packet(b"", 0)  # a command packet without a command byte
        self.expect_err_or_close(r, "empty command packet")
        self.assert_bystander_fine()

    def _packet_too_big(self, target, limit):
        r = self.raw(target=target)
        r.login()
        self.assertEqual(r.query("SELECT LENGTH('%s')" % ("y" * (limit - 4096)))[2],
                         [[str(limit - 4096).encode()]])
        size = 2 * 1024 * 1024
        payload = b"\x03SELECT '" + b"x" * (size - 12) + b"'"

        def sender():
            try:
                r.send_packet(payload, 0)
            except OSError:
                pass  # the peer may close before it has read everything

        t = threading.Thread(target=sender, daemon=True)
        t.start()
        try:
            pkt = r.read_until_closed_or_packet()
        except socket.timeout:
            self.fail("no answer to a 2 MB packet with max_allowed_packet = 1M")
        t.join(10)
        self.assertIsNotNone(pkt, "connection closed without an ERR packet")
        self.assertEqual(pkt[1][:1], b"\xff", "expected ERR 1153 for a 2 MB packet with "
                         "max_allowed_packet = 1M, got a packet starting %r" % pkt[1][:16])
        err = harness.parse_err(pkt[1])
        self.assertEqual((err.code, err.sqlstate), (1153, "08S01"), err.message)
        # A new connection works.
        r2 = self.raw(target=target)
        r2.login()
        self.assertEqual(r2.query("SELECT 1")[2], [[b"1"]])

    def test_packet_bigger_than_max_allowed_packet(self):
        limit = 1024 * 1024
        if harness.DIRECT:
            self.sandbox.query("SET GLOBAL max_allowed_packet = %d" % limit)
            try:
                self._packet_too_big(self.target, limit)
            finally:
                self.sandbox.query("SET GLOBAL max_allowed_packet = 256 * 1024 * 1024")
        else:
            d = harness.Mypoold(max_allowed_packet="1M").start()
            self._packet_too_big(d.socket, limit)
            d.stop()
        self.assert_bystander_fine()
