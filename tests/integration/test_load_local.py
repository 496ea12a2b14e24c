"""LOAD DATA LOCAL INFILE through mypool: the server's request goes to the client, the file
back to the server through a bounded buffer."""

import os
import unittest

import pymysql

import harness
from harness import Mypoold


class LoadLocalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = None if harness.DIRECT else Mypoold(pool_size=1, pool_wait_timeout="3s")
        if cls.daemon:
            cls.daemon.start()
        cls.target = cls.daemon.socket if cls.daemon else harness.sandbox().socket
        cls.dir = harness.tmp_root()

    @classmethod
    def tearDownClass(cls):
        if cls.daemon:
            cls.daemon.stop()

    def connect(self, **kw):
        return pymysql.connect(unix_socket=self.target, user=harness.APP_USER, password=harness.APP_PASSWORD,
                               database="test", autocommit=True, **kw)

    def setUp(self):
        c = self.connect()
        c.cursor().execute("CREATE TABLE IF NOT EXISTS load_local (a INT, b VARCHAR(200))")
        c.cursor().execute("DELETE FROM load_local")
        c.close()

    def write(self, name, rows):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            for i in range(rows):
                f.write("%d,%s\n" % (i, "x" * 100))
        return path

    def test_load_small_and_large(self):
        c = self.connect(local_infile=True)
        cur = c.cursor()
        small = self.write("small.csv", 3)
        cur.execute("LOAD DATA LOCAL INFILE %s INTO TABLE load_local FIELDS TERMINATED BY ','", (small,))
        self.assertEqual(cur.rowcount, 3)
        big = self.write("big.csv", 100000)  # about 10 MB
        cur.execute("LOAD DATA LOCAL INFILE %s INTO TABLE load_local FIELDS TERMINATED BY ','", (big,))
        self.assertEqual(cur.rowcount, 100000)
        cur.execute("SELECT COUNT(*), SUM(a), MIN(LENGTH(b)) FROM load_local")
        self.assertEqual(cur.fetchone(), (100003, 3 + sum(range(100000)), 100))
        c.close()

    def test_missing_file_leaves_session_usable(self):
        c = self.connect(local_infile=True)
        cur = c.cursor()
        with self.assertRaises(pymysql.err.MySQLError) as cm:
            cur.execute("LOAD DATA LOCAL INFILE '/nonexistent/file.csv' INTO TABLE load_local")
        self.assertEqual(cm.exception.args[0], 1017)
        cur.execute("SELECT 42")
        self.assertEqual(cur.fetchone(), (42,))
        c.close()

    def test_client_without_local_infile(self):
        c = self.connect()
        path = self.write("refused.csv", 2)
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            c.cursor().execute("LOAD DATA LOCAL INFILE %s INTO TABLE load_local FIELDS TERMINATED BY ','", (path,))
        self.assertEqual(cm.exception.args[0], 4166)
        cur = c.cursor()
        cur.execute("SELECT COUNT(*) FROM load_local")
        self.assertEqual(cur.fetchone(), (0,))
        c.close()

    @harness.mypool_only("what happens to mypool's backend")
    def test_client_vanishes_mid_file(self):
        # A raw client asks for a load, sends part of the file and disconnects: the backend
        # (the only one, pool_size=1) must come back usable for the next client.
        r = harness.RawClient(self.target)
        r.login(database="test", caps=harness.RAW_DEFAULT_CAPS | 0x80)  # | CLIENT_LOCAL_FILES
        path = self.write("vanish.csv", 10)
        sql = ("LOAD DATA LOCAL INFILE '%s' INTO TABLE load_local FIELDS TERMINATED BY ','" % path).encode()
        r.send_packet(b"\x03" + sql, 0)
        seq, payload = r.read_packet()
        self.assertEqual(payload[:1], b"\xfb")  # the server asks for the file
        r.send_packet(b"0,partial\n", seq + 1)
        r.close()
        c = self.connect()
        cur = c.cursor()
        cur.execute("SELECT COUNT(*) FROM load_local")
        self.assertEqual(cur.fetchone(), (0,))
        c.close()
