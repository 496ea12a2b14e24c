"""libmypool, the C client library: its check suite (client/tests/check_client) and its examples
(client/examples/mypool-report, mypool-transfer), run against MariaDB directly and through mypoold.

The binaries are found next to the daemon: dirname(dirname($MYPOOLD))/client/... (`make check`
builds them). check_client's test cases that need server-side prepared statements (COM_STMT_*)
carry the check tag "prepared"; through mypoold they run as a test of their own, so a daemon
without the binary protocol shows up as exactly that test failing. The tests are numbered to run
in that order: the text protocol through mypoold before the prepared statements.
"""

import os
import subprocess

import harness

BUILDDIR = os.path.dirname(os.path.dirname(harness.MYPOOLD))
CHECK_CLIENT = os.path.join(BUILDDIR, "client", "tests", "check_client")
REPORT = os.path.join(BUILDDIR, "client", "examples", "mypool-report")
TRANSFER = os.path.join(BUILDDIR, "client", "examples", "mypool-transfer")

# Variables of check (and of libmypool) that must not leak in from the caller's environment.
_SCRUB = ("CK_RUN_SUITE", "CK_RUN_CASE", "CK_INCLUDE_TAGS", "CK_EXCLUDE_TAGS", "CK_FORK",
          "CK_EXCLUDE_CASE", "CK_EXCLUDE_SUITE", "MYPOOL_SOCKET", "MYPOOL_USER",
          "MYPOOL_PASSWORD", "MYPOOL_DB")


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update(extra)
    return env


class ClientLibraryTest(harness.TestCase):
    daemon_config = {"pool_mode": "session"}

    def _need(self, path):
        if not os.access(path, os.X_OK):
            self.fail("%s is not built (`make check` builds it; MYPOOLD=%s)" % (path,
                                                                                harness.MYPOOLD))

    def run_check(self, socket_path, label, include_tags=None, exclude_tags=None):
        """Run check_client against socket_path; fail with its TAP output unless it exits 0."""
        self._need(CHECK_CLIENT)
        extra = dict(MYPOOL_TEST_SOCKET=socket_path, MYPOOL_TEST_USER=harness.APP_USER,
                     MYPOOL_TEST_PASSWORD=harness.APP_PASSWORD, MYPOOL_TEST_DB="test",
                     CK_TAP_LOG_FILE_NAME="-", CK_DEFAULT_TIMEOUT=str(int(harness.scaled(60))),
                     CK_TIMEOUT_MULTIPLIER=str(int(max(1, harness.TIMEOUT_SCALE))))
        if include_tags:
            extra["CK_INCLUDE_TAGS"] = include_tags
        if exclude_tags:
            extra["CK_EXCLUDE_TAGS"] = exclude_tags
        p = subprocess.run([CHECK_CLIENT], env=_env(**extra), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=harness.scaled(140))
        out = p.stdout.decode(errors="replace")
        lines = out.splitlines()
        passed = sum(1 for line in lines if line.startswith("ok "))
        failed = [line for line in lines if line.startswith("not ok ")]
        harness.log("check_client %s: %d passed, %d failed" % (label, passed, len(failed)))
        if p.returncode != 0 or failed or passed == 0:
            self.fail("check_client %s exited with status %d (%d passed, %d failed):\n%s"
                      % (label, p.returncode, passed, len(failed), out))

    def run_example(self, argv, socket_path, **kw):
        self._need(argv[0])
        p = subprocess.run(argv[:1] + ["-S", socket_path] + argv[1:], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=_env(MYPOOL_USER=harness.APP_USER,
                                    MYPOOL_PASSWORD=harness.APP_PASSWORD, MYPOOL_DB="test"),
                           timeout=harness.scaled(60), **kw)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    # -- the check suite ----------------------------------------------------------------------

    def test_1_check_client_direct(self):
        """Every case, straight to MariaDB (the library's own correctness)."""
        self.run_check(self.sandbox.socket, "direct to MariaDB")

    @harness.mypool_only("runs check_client through mypoold")
    def test_2_check_client_mypool_text(self):
        """The text-protocol cases (queries, streaming, early close, transactions, retries,
        threads) through mypoold."""
        self.run_check(self.daemon.socket, "through mypoold, text protocol",
                       exclude_tags="prepared")

    @harness.mypool_only("runs check_client through mypoold")
    def test_3_check_client_mypool_prepared(self):
        """The prepared-statement cases (COM_STMT_PREPARE/EXECUTE/FETCH...) through mypoold."""
        self.run_check(self.daemon.socket, "through mypoold, prepared statements",
                       include_tags="prepared")

    # -- the examples -------------------------------------------------------------------------

    def _report(self, socket_path):
        c = self.direct()
        with c.cursor() as cur:
            cur.execute("CREATE OR REPLACE TABLE client_report (id INT PRIMARY KEY, "
                        "name VARCHAR(20), note TEXT)")
            cur.execute("INSERT INTO client_report VALUES (1, 'plain', NULL), "
                        "(2, 'a,b', 'say \"hi\"'), (3, '', 'two\nlines')")
        rc, out, err = self.run_example([REPORT, "client_report"], socket_path)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, 'id,name,note\n1,plain,\n2,"a,b","say ""hi"""\n3,"","two\nlines"\n')
        self.assertIn("3 rows", err)
        # -n closes the cursor in the middle of a big result
        rc, out, err = self.run_example(
            [REPORT, "-n", "5", "-q", "SELECT seq FROM seq_1_to_5000000"], socket_path)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "seq\n1\n2\n3\n4\n5\n")

    def _transfer(self, socket_path):
        c = self.direct()
        with c.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS accounts")
        rc, out, err = self.run_example([TRANSFER, "-i"], socket_path)
        self.assertEqual(rc, 0, err)
        rc, out, err = self.run_example([TRANSFER, "-r", "3", "1", "2", "100"], socket_path)
        self.assertEqual(rc, 0, err)
        self.assertIn("balances now 700 and 1300", out)
        rc, out, err = self.run_example([TRANSFER, "1", "2", "701"], socket_path)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("insufficient funds", err)
        # two opposite streams of transfers deadlock now and then: the helper retries them
        procs = [subprocess.Popen([TRANSFER, "-S", socket_path, "-r", "100", a, b, "1"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE,
                                  env=_env(MYPOOL_USER=harness.APP_USER,
                                           MYPOOL_PASSWORD=harness.APP_PASSWORD,
                                           MYPOOL_DB="test"))
                 for a, b in (("1", "2"), ("2", "1"))]
        for p in procs:
            out, err = p.communicate(timeout=harness.scaled(60))
            self.assertEqual(p.returncode, 0, (out + err).decode(errors="replace"))
        with c.cursor() as cur:
            cur.execute("SELECT id, balance FROM accounts ORDER BY id")
            self.assertEqual(cur.fetchall(), ((1, 700), (2, 1300)))

    def test_4_examples_direct(self):
        self._report(self.sandbox.socket)
        self._transfer(self.sandbox.socket)

    @harness.mypool_only("runs the examples through mypoold")
    def test_5_example_report_mypool(self):
        """mypool-report uses the text protocol."""
        self._report(self.daemon.socket)

    @harness.mypool_only("runs the examples through mypoold")
    def test_6_example_transfer_mypool(self):
        """mypool-transfer binds its values as prepared-statement parameters."""
        self._transfer(self.daemon.socket)
