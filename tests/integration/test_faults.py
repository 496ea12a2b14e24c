"""Fault injection: the server behind mypool fails, and clients must hear of it in time.

Each class starts a MariaDB of its own (scripts/mariadb-sandbox under harness.tmp_root(); the
run's shared sandbox is never touched) and points mypool daemons at it. A fault is one of
kill -9, a restart, SIGSTOP, a full max_connections, the socket file renamed away, and, in a
network namespace, TCP delay, loss, a slow link and a blackhole. Every client call runs with a
read timeout, so a hang shows as a failure ("timed out") and never as a hung test. Rules:

  * the affected client gets the server's or mypool's error (9001 pool wait timeout, 9002
    backend unavailable, 9003 lost connection to backend) or a lost connection (2013) within a
    bound, never a hang and never a silent success where the work was lost;
  * clients on other server connections see nothing;
  * the pool refills by itself once the server is back: new clients succeed within seconds;
  * the worker is never respawned and leaves no sanitizer report (Mypoold.stop() checks).

MYPOOL_FAULT_CYCLES sets the kill/restart cycles of the resource test (default 10; bench/faults
runs 100 and prints the figures).
"""

import os
import re
import signal
import subprocess
import tempfile
import threading
import time

import pymysql
import pymysql.cursors

import harness
from harness import Mypoold, mypool_only, scaled

POOL_WAIT_TIMEOUT = 1.0  # s, mypool's pool_wait_timeout in these tests
CONNECT_TIMEOUT = 1.0    # s, mypool's connect_timeout
# What a client may see while the server is away: mypool's errors or a lost connection.
FAULT_CODES = {9001, 9002, 9003, 2006, 2013}
CHECK_SQL, CHECK_RESULT = "SELECT SUM(seq) FROM seq_1_to_1000", 500500


class CliError(Exception):
    """The mariadb CLI failed: its stderr ("ERROR 9003 (08S01) ...")."""


def is_timeout(e):
    """A client-side read/write timeout: the call hung."""
    if isinstance(e, subprocess.TimeoutExpired):
        return True
    # A client library's own timeout (2013 "... (timed out)"), not a server's or mypool's error
    # whose reason happens to say "timed out".
    return (isinstance(e, pymysql.err.MySQLError) and bool(e.args) and e.args[0] in (2006, 2013)
            and "timed out" in str(e))


def code_of(e):
    if isinstance(e, pymysql.err.MySQLError) and e.args and isinstance(e.args[0], int):
        return e.args[0]
    if isinstance(e, CliError):
        m = re.search(r"ERROR (\d+)", str(e))
        return int(m.group(1)) if m else None
    return None


def diag(msg):
    harness.log("faults: " + msg)


class Background:
    """fn() in a thread; .result, .error, .secs (from start to end) once .join() returns True."""

    def __init__(self, fn):
        self.result = self.error = self.secs = None
        self.done = threading.Event()
        self.t0 = time.monotonic()
        self.thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self.thread.start()

    def _run(self, fn):
        try:
            self.result = fn()
        except Exception as e:  # noqa: BLE001 - inspected by the test
            self.error = e
        self.secs = time.monotonic() - self.t0
        self.done.set()

    def join(self, timeout):
        return self.done.wait(timeout)


class FaultServer:
    """A MariaDB of one test class: start (quick on an existing data dir), kill -9, SIGSTOP."""

    def __init__(self, name, port=None, max_connections=None, netns=None):
        self.dir = os.path.join(harness.tmp_root(), name)
        self.socket = os.path.join(self.dir, "mysql.sock")
        self.args = []
        if port:
            self.args += ["--port", str(port)]
        if max_connections:
            self.args += ["--max-connections", str(max_connections)]
        self.prefix = ["ip", "netns", "exec", netns] if netns else []
        self.started = False

    def start(self):
        p = subprocess.run(self.prefix + [harness.SANDBOX_SCRIPT, "start", self.dir] + self.args,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=150)
        self.started = True
        if p.returncode != 0:
            raise RuntimeError("mariadb-sandbox start %s failed (rc %d):\n%s"
                               % (self.dir, p.returncode, p.stdout.decode(errors="replace")))
        return self

    def pid(self):
        try:
            with open(os.path.join(self.dir, "mariadbd.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def alive(self):
        pid = self.pid()
        return pid is not None and harness.is_running(pid)

    def answers(self):
        try:
            self.connect(connect_timeout=2, read_timeout=2).close()
            return True
        except Exception:  # noqa: BLE001
            return False

    def kill9(self):
        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        if not harness.wait_until(lambda: not harness.is_running(pid), 10):
            raise AssertionError("mariadbd %d still alive 10 s after SIGKILL" % pid)

    def signal(self, sig):
        os.kill(self.pid(), sig)

    def ensure_running(self):
        """Undo whatever a failed test left: a stopped, killed or socket-less server."""
        pid = self.pid()
        if pid and harness.is_running(pid):
            os.kill(pid, signal.SIGCONT)
        away = self.socket + ".away"
        if os.path.exists(away):
            os.rename(away, self.socket)
        if not self.answers():
            if pid and harness.is_running(pid):
                os.kill(pid, signal.SIGKILL)
                harness.wait_until(lambda: not harness.is_running(pid), 10)
            self.start()

    def stop(self):
        if not self.started:
            return
        self.started = False
        pid = self.pid()
        if pid and harness.is_running(pid):
            os.kill(pid, signal.SIGCONT)
        subprocess.run([harness.SANDBOX_SCRIPT, "stop", self.dir], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        if pid and harness.is_running(pid):
            os.kill(pid, signal.SIGKILL)

    def connect(self, user="root", password="", **kw):
        kw.setdefault("connect_timeout", 5)
        kw.setdefault("read_timeout", 10)
        kw.setdefault("write_timeout", 10)
        return pymysql.connect(unix_socket=self.socket, user=user, password=password,
                               database="test", autocommit=True, **kw)

    def query(self, sql, args=None):
        return harness.query_once(self.connect(), sql, args)

    def wait_query(self, like, timeout=10):
        """Wait until a statement LIKE `like` runs on the server (as any client)."""
        sql = ("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE %s"
               " AND ID <> CONNECTION_ID()")
        if not harness.wait_until(lambda: self.query(sql, (like,)), scaled(timeout), 0.02):
            raise AssertionError("no statement like %r ran on the server within %.0f s"
                                 % (like, scaled(timeout)))


@mypool_only("faults are injected between mypool and its server")
class FaultCase(harness.TestCase):
    """A MariaDB of the class's own (server_args), a fresh daemon per test (self.daemon_for())."""

    shared_daemon = False
    server_name = None
    server_args = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = None
        if cls.server_name is None:
            return
        cls.server = FaultServer(cls.server_name, **cls.server_args).start()
        cls.server.query("CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY) ENGINE=InnoDB")
        cls.server.query("CREATE TABLE IF NOT EXISTS tl (id INT, v VARCHAR(200)) ENGINE=InnoDB")

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.server is not None:
                cls.server.stop()
        finally:
            super().tearDownClass()

    def setUp(self):
        super().setUp()
        if self.server is not None:
            self.server.ensure_running()

    def daemon_for(self, **cfg):
        cfg.setdefault("pool_size", 4)
        cfg.setdefault("pool_wait_timeout", "%gs" % scaled(POOL_WAIT_TIMEOUT))
        cfg.setdefault("connect_timeout", "%gs" % scaled(CONNECT_TIMEOUT))
        cfg.setdefault("shutdown_timeout", "3s")  # a client left hanging by a failed test
        if "backend_host" not in cfg:
            cfg.setdefault("backend_socket", self.server.socket)
        d = Mypoold(**cfg).start()
        self.addCleanup(d.stop)
        return d

    def client(self, d, read_timeout=8, **kw):
        kw.setdefault("autocommit", True)
        return self.connect(target=d.socket, read_timeout=scaled(read_timeout),
                            write_timeout=scaled(read_timeout), **kw)

    def check(self, conn):
        """A well-behaved statement with a known answer."""
        with conn.cursor() as cur:
            cur.execute(CHECK_SQL)
            self.assertEqual(cur.fetchone()[0], CHECK_RESULT)

    def assertFault(self, bg, bound, what, d):
        """The background call bg failed with a fault error within bound seconds."""
        log = "\n" + d.log_tail(20)
        if not bg.join(scaled(30)):
            self.fail("%s: the client call has not returned after %.0f s (a hang past its read "
                      "timeout)%s" % (what, scaled(30), log))
        if bg.error is None:
            if isinstance(bg.result, Exception):
                bg.error = bg.result
        if bg.error is None:
            self.fail("%s: the call succeeded (%r) although the server failed%s"
                      % (what, bg.result, log))
        if not isinstance(bg.error, (pymysql.err.MySQLError, CliError, subprocess.TimeoutExpired)):
            self.fail("%s: the client library broke on what it received (a corrupt stream?): %r%s"
                      % (what, bg.error, log))
        if is_timeout(bg.error):
            self.fail("%s: the client hung until its own read timeout (%.1f s): %r%s"
                      % (what, bg.secs, bg.error, log))
        self.assertIn(code_of(bg.error), FAULT_CODES, "%s: unexpected error %r%s"
                      % (what, bg.error, log))
        self.assertLess(bg.secs, bound, "%s: the error %r came after %.1f s (bound %.1f s)%s"
                        % (what, bg.error, bg.secs, bound, log))
        diag("%s: %r after %.2f s" % (what, bg.error.args, bg.secs))
        return bg.error

    def kill_during(self, bg, like, bound, what, d):
        """kill -9 the server once it runs the statement `like` (bg's), check that bg fails within
        bound seconds of the kill, then start the server again and check that the pool
        recovers."""
        self.server.wait_query(like)
        self.server.kill9()
        bg.t0 = time.monotonic()
        self.assertFault(bg, bound, what, d)
        self.server.start()
        self.assertRecovers(d)

    def assertRecovers(self, d, timeout=10, what="recovery"):
        """New clients succeed within timeout s; in between only fault errors, never a hang."""
        t0 = time.monotonic()
        deadline = t0 + scaled(timeout)
        errors = []
        while True:
            try:
                c = harness.connect(d.socket, autocommit=True, connect_timeout=5,
                                    read_timeout=scaled(5), write_timeout=scaled(5))
                try:
                    self.check(c)
                finally:
                    c.close()
                break
            except pymysql.err.MySQLError as e:
                if is_timeout(e) or code_of(e) not in FAULT_CODES:
                    self.fail("%s: a new client got %r after %.1f s\n%s"
                              % (what, e, time.monotonic() - t0, d.log_tail(20)))
                errors.append(code_of(e))
                if time.monotonic() > deadline:
                    self.fail("%s: no client succeeded within %.0f s; errors %r\n%s"
                              % (what, scaled(timeout), errors, d.log_tail(20)))
                time.sleep(0.05)
        secs = time.monotonic() - t0
        diag("%s: a new client succeeded after %.2f s (errors before: %s)"
             % (what, secs, sorted(set(errors)) or "none"))
        return secs

    def warm(self, d, n):
        """Open n server connections (n clients in a transaction at once), all left idle."""
        conns = [self.client(d) for _ in range(n)]
        for c in conns:
            c.cursor().execute("BEGIN")
            self.check(c)
        for c in conns:
            c.cursor().execute("COMMIT")
            c.close()


class KillTest(FaultCase):
    """kill -9 of the server in the middle of each kind of client work, and restarts."""

    server_name = "faults-kill"

    def test_kill_mid_query(self):
        """kill -9 during SELECT SLEEP(30): the client gets 9003/2013 at once; after a restart
        new clients succeed."""
        d = self.daemon_for()
        c = self.client(d, read_timeout=10)
        bg = Background(lambda: c.cursor().execute("SELECT SLEEP(30)"))
        self.kill_during(bg, "SELECT SLEEP(30)%", scaled(3), "SELECT SLEEP(30) when the server was killed", d)

    def test_kill_mid_stream(self):
        """kill -9 while a client streams a large SELECT unbuffered (SSCursor) after its first
        rows: the rest of the stream must end in an error, not leave the client waiting."""
        d = self.daemon_for()
        c = self.client(d, read_timeout=6, cursorclass=pymysql.cursors.SSCursor)
        cur = c.cursor()
        cur.execute("SELECT seq, REPEAT('x', 100) FROM seq_1_to_5000000")
        first = cur.fetchmany(1000)
        self.assertEqual(len(first), 1000)
        self.server.kill9()

        def drain():
            n = 0
            while True:
                rows = cur.fetchmany(10000)
                if not rows:
                    return n
                n += len(rows)

        bg = Background(drain)
        self.assertFault(bg, scaled(5), "a streamed SELECT when the server was killed", d)
        self.server.start()
        self.assertRecovers(d)

    def test_kill_mid_transaction(self):
        """BEGIN; INSERT; kill -9; the server is back before the next statement: that statement
        must fail (never run in autocommit on a new connection), nothing of the transaction
        stays, and the client's statements after that work on a fresh session."""
        self.server.query("DELETE FROM t")
        d = self.daemon_for()
        c = self.client(d)
        cur = c.cursor()
        cur.execute("BEGIN")
        cur.execute("INSERT INTO t VALUES (1)")
        self.server.kill9()
        self.server.start()
        bg = Background(lambda: cur.execute("INSERT INTO t VALUES (2)"))
        self.assertFault(bg, scaled(3), "INSERT after the server of the open transaction died", d)
        try:
            cur.execute("COMMIT")  # may fail or do nothing; it must never commit row 2 alone
        except pymysql.err.MySQLError as e:
            self.assertFalse(is_timeout(e), "COMMIT hung: %r" % (e,))
        self.assertEqual(self.server.query("SELECT id FROM t"), (),
                         "rows of the broken transaction were committed")
        if c.open:
            try:
                self.check(c)  # the same client, on a fresh session
            except pymysql.err.MySQLError as e:
                self.assertIn(code_of(e), FAULT_CODES, "%r" % (e,))
                self.assertFalse(is_timeout(e), "the client's next statement hung: %r" % (e,))
                c = self.client(d)
                self.check(c)
        else:
            self.check(self.client(d))
        with self.client(d).cursor() as cur2:
            cur2.execute("BEGIN")
            cur2.execute("INSERT INTO t VALUES (3)")
            cur2.execute("COMMIT")
        self.assertEqual(self.server.query("SELECT id FROM t"), ((3,),))

    def test_kill_mid_load_data_local(self):
        """kill -9 while a client sends a big file with LOAD DATA LOCAL INFILE: the client's
        upload ends in an error within a bound (mypool must not stop reading it for ever)."""
        d = self.daemon_for()
        fd, path = tempfile.mkstemp(dir=harness.tmp_root(), suffix=".tsv")
        self.addCleanup(os.unlink, path)
        line = "%d\t" + "y" * 150 + "\n"
        with os.fdopen(fd, "w") as f:
            for i in range(0, 400000, 1000):
                f.write("".join(line % j for j in range(i, i + 1000)))  # ~62 MB

        def load():  # the mariadb CLI: PyMySQL breaks on its own when the upload is cut short
            rc, out, err = harness.cli(d.socket, "LOAD DATA LOCAL INFILE '%s' INTO TABLE tl" % path,
                                       args=["--local-infile=1"], timeout=15)
            if rc != 0:
                raise CliError(err.strip())
            return out

        bg = Background(load)
        self.kill_during(bg, "LOAD DATA%", scaled(5), "LOAD DATA LOCAL INFILE when the server was killed", d)

    def test_restart_recovers(self):
        """A clean restart with a warm pool (idle connections that all die): while the server is
        down clients get 9002/9003/2013 quickly; once it is back the pool refills by itself and
        new clients succeed within seconds."""
        d = self.daemon_for()
        self.warm(d, 3)
        self.server.stop()
        # session pooling: the login itself takes a server connection, and may be what fails
        bg = Background(lambda: self.check(self.client(d)))
        self.assertFault(bg, scaled(CONNECT_TIMEOUT + POOL_WAIT_TIMEOUT + 2),
                         "a statement while the server is down", d)
        self.server.start()
        self.assertRecovers(d)
        self.warm(d, 3)  # every connection of the refilled pool works

    def test_socket_file_away(self):
        """The server's socket file is renamed away: new server connections fail, clients get
        9002 at once, a client on an existing server connection sees nothing; the file back,
        new clients succeed."""
        d = self.daemon_for()
        # The connection the pool opens at startup first (else it may come after w's own and
        # stay idle for the next client, which would then need no new connection).
        pooled = "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s"
        self.assertTrue(harness.wait_until(lambda: self.server.query(pooled, (harness.POOL_USER,)), scaled(10)))
        w = self.client(d)
        w.cursor().execute("BEGIN")  # pins w's server connection in either pool mode
        self.check(w)
        os.rename(self.server.socket, self.server.socket + ".away")
        try:
            bg = Background(lambda: self.check(self.client(d)))
            e = self.assertFault(bg, scaled(CONNECT_TIMEOUT + 1), "a statement with the socket away", d)
            self.assertEqual(code_of(e), 9002, "%r" % (e,))
            self.check(w)
        finally:
            os.rename(self.server.socket + ".away", self.server.socket)
        self.assertRecovers(d)
        self.check(w)
        w.cursor().execute("COMMIT")

    def test_sigstop_pool_wait(self):
        """SIGSTOP with the pool (size 1) busy: a waiting client gets 9001 after
        pool_wait_timeout; after SIGCONT the busy client's statement finishes and the waiting
        client's next statement works."""
        d = self.daemon_for(pool_size=1)
        a = self.client(d, read_timeout=20)
        abg = Background(lambda: a.cursor().execute("SELECT SLEEP(1)"))
        self.server.wait_query("SELECT SLEEP(1)%")
        self.server.signal(signal.SIGSTOP)
        try:
            bg = Background(lambda: self.check(self.client(d)))
            e = self.assertFault(bg, scaled(POOL_WAIT_TIMEOUT + 2), "a client waiting for the pool "
                                 "while the server is stopped", d)
            self.assertEqual(code_of(e), 9001, "%r" % (e,))
        finally:
            self.server.signal(signal.SIGCONT)
        self.assertTrue(abg.join(scaled(10)), "the busy client did not finish after SIGCONT")
        self.assertIsNone(abg.error)
        a.close()  # session pooling: a holds its connection until it leaves
        self.assertRecovers(d)

    def test_sigstop_connect_timeout(self):
        """SIGSTOP: a new server connection never gets the greeting, and the one the pool opened
        at startup answers none of mypool's own statements; either way the client gets 9002,
        9001 or 9003 after connect_timeout, which bounds every call of mypool's own on a
        server connection; after SIGCONT new clients succeed."""
        d = self.daemon_for()
        self.server.signal(signal.SIGSTOP)
        try:
            # the login checks the database on a server connection: it may be the call that fails
            bg = Background(lambda: self.check(self.client(d)))
            e = self.assertFault(bg, scaled(CONNECT_TIMEOUT + POOL_WAIT_TIMEOUT + 2),
                                 "a client needing a new connection to a stopped server", d)
            self.assertIn(code_of(e), (9001, 9002, 9003), "%r" % (e,))
        finally:
            self.server.signal(signal.SIGCONT)
        self.assertRecovers(d)

    def test_resources_flat_across_kill_cycles(self):
        """N kill -9/restart cycles (MYPOOL_FAULT_CYCLES, default 10) with clients at work: the
        worker's open fds and RSS stay flat."""
        cycles = int(os.environ.get("MYPOOL_FAULT_CYCLES", "10"))
        d = self.daemon_for()
        worker = d.worker_pid()
        figures = []
        for i in range(cycles + 1):
            self.warm(d, 3)
            busy = self.client(d, read_timeout=10)
            bg = Background(lambda: busy.cursor().execute("SELECT SLEEP(30)"))
            self.server.wait_query("SELECT SLEEP(30)%")
            self.server.kill9()
            self.assertFault(bg, scaled(3), "cycle %d: SELECT SLEEP(30) at the kill" % i, d)
            busy.close()
            self.server.start()
            self.assertRecovers(d, what="cycle %d" % i)
            fds, rss = proc_fds(worker), proc_rss_kb(worker)
            figures.append((fds, rss))
            print("# faults: cycle %d: worker fds %d, VmRSS %d kB" % (i, fds, rss), flush=True)
        base_fds, base_rss = figures[0]  # after one cycle: the pool's steady state
        last_fds, last_rss = figures[-1]
        print("# faults: %d kill -9 cycles: fds %d -> %d, VmRSS %d -> %d kB"
              % (cycles, base_fds, last_fds, base_rss, last_rss), flush=True)
        self.assertLessEqual(last_fds, base_fds + 4, "fds grew: %r" % (figures,))
        slack = max(4096, base_rss // 10) * harness.TIMEOUT_SCALE + 20 * cycles
        self.assertLessEqual(last_rss, base_rss + slack, "VmRSS grew: %r" % (figures,))


def proc_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def proc_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class MaxConnectionsTest(FaultCase):
    """The server's max_connections full."""

    server_name = "faults-maxconn"
    server_args = {"max_connections": 10}

    def test_max_connections(self):
        """Other accounts hold every connection: a mypool client needing a new server
        connection gets 9002 with the server's 1040 reason; a client on an existing server
        connection sees nothing; once connections are freed new clients succeed."""
        d = self.daemon_for()
        w = self.client(d)
        w.cursor().execute("BEGIN")
        self.check(w)
        held = []
        try:
            for _ in range(30):  # root may use the one extra connection kept for SUPER
                try:
                    held.append(self.server.connect())
                except pymysql.err.OperationalError as e:
                    self.assertEqual(code_of(e), 1040, "%r" % (e,))
                    break
            else:
                self.fail("max_connections never reached")
            bg = Background(lambda: self.check(self.client(d)))
            e = self.assertFault(bg, scaled(CONNECT_TIMEOUT + 1), "a client with max_connections full", d)
            self.assertEqual(code_of(e), 9002, "%r" % (e,))
            self.assertIn("Too many connections", str(e.args[1]), "%r" % (e,))
            self.check(w)
        finally:
            for h in held:
                h.close()
        self.assertRecovers(d)
        self.check(w)
        w.cursor().execute("COMMIT")


NETNS = "mypool-faults-%d" % os.getpid()
NET_PORT = 3306  # inside the namespace: its own loopback


def _ns(*argv, check=True):
    return subprocess.run(["ip", "netns", "exec", NETNS] + list(argv), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=check, timeout=30)


class NetworkTest(FaultCase):
    """A TCP backend in a network namespace of the test's own: mariadbd and mypoold run there on
    its loopback (127.0.0.1:3306); clients reach mypoold through its Unix socket. tc and nftables
    act on that loopback only."""

    skip_reason = None

    @classmethod
    def setUpClass(cls):
        harness.TestCase.setUpClass.__func__(cls)
        cls.server = None
        cls.netns = False
        if os.geteuid() != 0:
            cls.skip_reason = "network namespaces need root"
            return
        p = subprocess.run(["ip", "netns", "add", NETNS], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if p.returncode != 0:
            cls.skip_reason = "ip netns add failed: %s" % p.stdout.decode(errors="replace").strip()
            return
        cls.netns = True
        try:
            _ns("ip", "link", "set", "lo", "up")
            cls.server = FaultServer("faults-net", port=NET_PORT, netns=NETNS).start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.server is not None:
                cls.server.stop()
        finally:
            cls.server = None
            if cls.netns:
                subprocess.run(["ip", "netns", "del", NETNS], check=False)
                cls.netns = False

    def setUp(self):
        if self.skip_reason:
            self.skipTest(self.skip_reason)
        super().setUp()
        self.addCleanup(self.clear_faults)

    def clear_faults(self):
        _ns("nft", "flush", "ruleset", check=False)
        _ns("tc", "qdisc", "del", "dev", "lo", "root", check=False)

    def daemon_for(self, **cfg):
        return super().daemon_for(backend_host="127.0.0.1", backend_port=NET_PORT,
                                  command_prefix=["ip", "netns", "exec", NETNS], **cfg)

    def nft(self, rule):
        """Drop (part of) the TCP traffic to and from the server, in both directions."""
        _ns("nft", "add", "table", "inet", "faults")
        _ns("nft", "add", "chain", "inet", "faults", "out",
            "{ type filter hook output priority 0; policy accept; }")
        for port in ("dport", "sport"):
            _ns("nft", "add", "rule", "inet", "faults", "out", "tcp", port, str(NET_PORT),
                *rule.split())

    def test_netem_delay_and_loss(self):
        """netem delay 100 ms and 5% loss: statements are slower but correct."""
        p = _ns("tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "100ms", "loss", "5%",
                check=False)
        if p.returncode != 0:
            self.skipTest("tc netem is not available in this kernel (%s); the nftables loss, tbf "
                          "slow-link and blackhole tests of this class still run"
                          % p.stdout.decode(errors="replace").strip())
        d = self.daemon_for(connect_timeout="%gs" % scaled(5))
        c = self.client(d, read_timeout=15)
        for _ in range(5):
            self.check(c)

    def test_random_loss(self):
        """nftables drops 10% of the server's packets: TCP retransmits; every statement gives
        the right answer or a fault error in time (a lost SYN may outlast connect_timeout)."""
        d = self.daemon_for()
        c = self.client(d)
        self.check(c)
        self.nft("numgen random mod 100 < 10 counter drop")
        def dropped():
            return sum(int(n) for n in re.findall(r"counter packets (\d+)",
                                                   _ns("nft", "list", "ruleset").stdout.decode()))

        ok, errors, n = 0, [], 0
        # 20 statements, and more while the rule happened to drop nothing (a few dozen packets
        # can all pass at 10%): the test must have seen a loss.
        while n < 20 or (dropped() == 0 and n < 200):
            n += 1
            try:
                self.check(c)
                ok += 1
            except pymysql.err.MySQLError as e:
                self.assertFalse(is_timeout(e), "a statement hung under 10%% loss: %r\n%s"
                                 % (e, d.log_tail(20)))
                self.assertIn(code_of(e), FAULT_CODES, "%r" % (e,))
                errors.append(code_of(e))
                if not c.open:
                    c = self.client(d)
        lost = dropped()
        diag("10%% loss: %d of %d statements ok, errors %r, %d packets dropped" % (ok, n, errors, lost))
        self.assertGreater(lost, 0, "the loss rule dropped nothing")
        self.assertGreater(ok, n / 2)
        self.clear_faults()
        self.assertRecovers(d)

    def test_slow_link(self):
        """tbf at 16 Mbit/s on the loopback: a 2 MB result arrives whole and correct. (The
        burst must exceed lo's 64 KiB MTU, or tbf drops every full-sized packet.)"""
        _ns("tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "16mbit", "burst", "96k",
            "latency", "100ms")
        d = self.daemon_for()
        c = self.client(d, read_timeout=20)
        with c.cursor() as cur:
            cur.execute("SELECT seq, REPEAT('z', 1000) FROM seq_1_to_2000")
            rows = cur.fetchall()
        self.assertEqual(len(rows), 2000)
        self.assertEqual(sum(r[0] for r in rows), 2001000)
        self.assertTrue(all(r[1] == "z" * 1000 for r in rows))

    def test_blackhole_connect(self):
        """Every packet to the server dropped silently, empty pool: the new server connection
        fails after connect_timeout and the client gets 9002 (or 9001); the rule gone, new
        clients succeed."""
        d = self.daemon_for()
        self.nft("drop")
        bg = Background(lambda: self.check(self.client(d)))
        e = self.assertFault(bg, scaled(CONNECT_TIMEOUT + POOL_WAIT_TIMEOUT + 2),
                             "a new server connection into a blackhole", d)
        self.assertIn(code_of(e), (9001, 9002, 9003), "%r" % (e,))
        self.clear_faults()
        self.assertRecovers(d)

    def test_blackhole_mid_query(self):
        """The server's packets dropped silently while a statement runs: tcp_keepalive (here
        1 s) notices the silent server and the client gets 9003 within a bound."""
        d = self.daemon_for(tcp_keepalive="1s")
        c = self.client(d, read_timeout=8)
        self.check(c)
        bg = Background(lambda: c.cursor().execute("SELECT SLEEP(2)"))
        self.server.wait_query("SELECT SLEEP(2)%")
        self.nft("drop")
        try:
            self.assertFault(bg, scaled(8), "a statement whose server went silent (blackhole)", d)
        finally:
            self.clear_faults()
        self.assertRecovers(d)
