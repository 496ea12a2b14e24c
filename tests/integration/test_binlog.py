"""A server that writes a binary log (every replication primary): its session trackers report
last_gtid after each commit, a variable nobody may set.

Regression (conformance run): mypool restored last_gtid on the next server connection, so every
statement of the next client there failed with 1238 "Variable 'last_gtid' is a read only
variable". The whole suite also runs against such a server (MYPOOL_TEST_LOG_BIN=1, scripts/test).
"""

import os
import subprocess

import harness
from test_transaction import Mover, backend_of, q


@harness.mypool_only("mypool's own session state")
class LastGtidTest(harness.TestCase):
    shared_daemon = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = os.path.join(harness.tmp_root(), "binlog-server")
        p = subprocess.run([harness.SANDBOX_SCRIPT, "start", cls.dir, "--log-bin"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=150)
        if p.returncode != 0:
            raise RuntimeError("mariadb-sandbox start --log-bin failed:\n%s" % p.stdout.decode(errors="replace"))
        cls.server_socket = os.path.join(cls.dir, "mysql.sock")

    @classmethod
    def tearDownClass(cls):
        subprocess.run([harness.SANDBOX_SCRIPT, "stop", cls.dir], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        super().tearDownClass()

    def test_commit_then_move(self):
        d = harness.Mypoold(pool_mode="transaction", pool_size=2, backend_socket=self.server_socket).start()
        self.addCleanup(d.stop)
        mover = Mover(d.socket)
        self.addCleanup(mover.release)
        c = self.connect(target=d.socket, autocommit=True)
        q(c, "CREATE TABLE IF NOT EXISTS test.binlog_t (i INT)")
        q(c, "BEGIN")
        q(c, "INSERT INTO test.binlog_t VALUES (1)")
        q(c, "COMMIT")  # the OK reports last_gtid
        self.assertRegex(q(c, "SELECT @@last_gtid")[0][0], r"^\d+-\d+-\d+$")
        last = backend_of(c)
        mover.move_from(last)
        # On the other connection mypool restores c's state: last_gtid is not part of it.
        self.assertEqual(q(c, "SELECT 1"), ((1,),))
        self.assertNotEqual(backend_of(c), last)
        # A new client on the connection c used gets nothing of c either.
        other = self.connect(target=d.socket, autocommit=True)
        self.assertEqual(q(other, "SELECT 2"), ((2,),))
