#!/usr/bin/python3
"""Run mypool's integration suite and print TAP on stdout.

    /usr/bin/python3 tests/integration/run.py [-v] [NAME-SUBSTRING ...]

Discovers tests/integration/test_*.py (unittest), starts one throwaway MariaDB, runs every test
(each against mypoold, or straight against MariaDB with MYPOOL_TEST_DIRECT=1) and prints
"1..N", then "ok K - module.Class.test" / "not ok K - ..." with the failure as "# " lines, and
"ok K - ... # SKIP reason" for skipped tests. Exit status: 0 if nothing failed, 1 if some
tests failed (all reported in the TAP stream), 2 if the run was interrupted or the runner broke.
Arguments select tests whose id contains one of the substrings. Diagnostics go to stderr.
"""

import os
import signal
import sys
import time
import traceback
import unittest

sys.dont_write_bytecode = True  # keep the (possibly read-only) source tree clean
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

PER_TEST_TIMEOUT = float(os.environ.get("MYPOOL_TEST_PER_TEST_TIMEOUT", "150"))


def out(line=""):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def comment(text):
    for line in str(text).rstrip("\n").splitlines():
        out("# " + line)


class TestTimeout(BaseException):
    """Raised by SIGALRM when one test runs too long (a BaseException so that tests'
    `except Exception` blocks do not swallow it)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM/SIGHUP/SIGINT: stop the run (unittest lets KeyboardInterrupt through)."""


def on_alarm(signum, frame):
    raise TestTimeout("test exceeded %.0f s (MYPOOL_TEST_PER_TEST_TIMEOUT)" % PER_TEST_TIMEOUT)


def on_term(signum, frame):
    raise Terminated("killed by signal %d" % signum)


class Result(unittest.TestResult):
    """Collects the outcome of one test at a time."""

    def __init__(self):
        super().__init__()
        self.outcome = None

    def _set(self, status, detail=""):
        # Keep the worst outcome (a failing tearDown after a pass, subtests, ...).
        order = {"ok": 0, "skip": 1, "fail": 2}
        if self.outcome is None or order[status] > order[self.outcome[0]]:
            self.outcome = (status, detail)
        elif status == "fail" and self.outcome[0] == "fail":
            self.outcome = ("fail", self.outcome[1] + "\n" + detail)

    def addSuccess(self, test):
        self._set("ok")

    def addError(self, test, err):
        self._set("fail", self._exc_info_to_string(err, test))

    def addFailure(self, test, err):
        self._set("fail", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        self._set("skip", reason)

    def addExpectedFailure(self, test, err):
        self._set("ok")

    def addUnexpectedSuccess(self, test):
        self._set("fail", "unexpected success")

    def addSubTest(self, test, subtest, err):
        if err is not None:
            self._set("fail", "%s:\n%s" % (subtest, self._exc_info_to_string(err, test)))


def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


def select(tests, patterns):
    if not patterns:
        return tests
    return [t for t in tests if any(p in t.id() for p in patterns)]


def daemon_diagnostics(test, exclude=""):
    """Tails of the logs of the daemons involved in test (those not already in exclude)."""
    import harness
    ds = harness.test_daemons()
    cls_daemon = getattr(type(test), "daemon", None)
    if cls_daemon is not None and cls_daemon not in ds:
        ds.insert(0, cls_daemon)
    parts = [d.log_tail(40) for d in ds if d.log_path not in exclude]
    sb = harness._sandbox
    if sb is not None and sb.dir:
        pidfile = os.path.join(sb.dir, "mariadbd.pid")
        try:
            with open(pidfile) as f:
                alive = harness.is_running(int(f.read().strip()))
        except (OSError, ValueError):
            alive = False
        if not alive:
            parts.append("MariaDB is not running any more; tail of its error log:\n"
                         + sb.error_log_tail())
    return "\n".join(parts)


def main(argv):
    verbose = "-v" in argv
    patterns = [a for a in argv if not a.startswith("-")]

    try:
        import pymysql  # noqa: F401
        import MySQLdb  # noqa: F401
    except ImportError as e:
        out("1..1")
        out("not ok 1 - prerequisites: %s (install python3-pymysql and python3-mysqldb; "
            "run with /usr/bin/python3)" % e)
        return 1

    try:
        import harness
    except Exception:  # noqa: BLE001
        out("1..1")
        out("not ok 1 - import harness")
        comment(traceback.format_exc())
        return 1

    loader = unittest.TestLoader()
    suite = loader.discover(start_dir=HERE, pattern="test_*.py", top_level_dir=HERE)
    tests = select(list(flatten(suite)), patterns)
    out("1..%d" % len(tests))
    comment("mypool integration tests: %s mode, daemon %s"
            % ("DIRECT (straight to MariaDB)" if harness.DIRECT else "mypool", harness.MYPOOLD))
    if not tests:
        return 0

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, on_term)
    signal.signal(signal.SIGALRM, on_alarm)

    counts = {"ok": 0, "fail": 0, "skip": 0}
    n = 0

    def report(test, status, detail="", extra=""):
        nonlocal n
        n += 1
        counts[status] += 1
        name = test.id()
        if status == "ok":
            out("ok %d - %s" % (n, name))
        elif status == "skip":
            out("ok %d - %s # SKIP %s" % (n, name, detail.replace("\n", " ")))
        else:
            out("not ok %d - %s" % (n, name))
            comment(detail)
            if extra:
                comment(extra)

    t0 = time.monotonic()
    try:
        # The sandbox first: if MariaDB cannot start, every test fails (never skips).
        try:
            harness.sandbox()
        except Exception as e:  # noqa: BLE001
            msg = "MariaDB sandbox could not be started: %s" % e
            comment(msg)
            for t in tests:
                report(t, "fail", "MariaDB sandbox could not be started (see above)")
            return 1

        i = 0
        while i < len(tests):
            cls = type(tests[i])
            j = i
            while j < len(tests) and type(tests[j]) is cls:
                j += 1
            group = tests[i:j]
            i = j
            class_skipped = getattr(cls, "__unittest_skip__", False)
            setup_error = None
            harness.reset_test_daemons()
            if not class_skipped and hasattr(cls, "setUpClass"):
                signal.alarm(int(PER_TEST_TIMEOUT))
                try:
                    cls.setUpClass()
                except (Exception, TestTimeout) as e:  # noqa: BLE001
                    setup_error = "setUpClass failed:\n" + "".join(
                        traceback.format_exception(type(e), e, e.__traceback__))
                finally:
                    signal.alarm(0)
            if setup_error:
                extra = daemon_diagnostics(tests[i - 1], exclude=setup_error)
                comment("%s.setUpClass failed; its %d tests fail:" % (cls.__name__, len(group)))
                comment(setup_error)
                if extra:
                    comment(extra)
                for t in group:
                    report(t, "fail", "setUpClass of %s failed (see above)" % cls.__name__)
                try:
                    cls.doClassCleanups()
                except Exception:  # noqa: BLE001
                    pass
                for d in list(harness.Mypoold.running):
                    d.kill()
                continue

            pending = None  # the last test's result is held back until tearDownClass has run
            for t in group:
                harness.reset_test_daemons()
                result = Result()
                started = time.monotonic()
                signal.alarm(int(PER_TEST_TIMEOUT))
                try:
                    t(result)
                except TestTimeout as e:
                    result._set("fail", str(e))
                finally:
                    signal.alarm(0)
                status, detail = result.outcome or ("fail", "test produced no result")
                extra = daemon_diagnostics(t) if status == "fail" else ""
                if verbose:
                    sys.stderr.write("# %s: %s (%.1f s)\n" % (t.id(), status,
                                                              time.monotonic() - started))
                if pending:
                    report(*pending)
                pending = (t, status, detail, extra)
                # A daemon a test started and forgot must not leak into the next test.
                cls_daemon = getattr(cls, "daemon", None)
                for d in list(harness.Mypoold.running):
                    if d is not cls_daemon:
                        d.kill()

            if not class_skipped and hasattr(cls, "tearDownClass"):
                harness.reset_test_daemons()
                cls_daemon = getattr(cls, "daemon", None)
                signal.alarm(int(PER_TEST_TIMEOUT))
                try:
                    cls.tearDownClass()
                    cls.doClassCleanups()
                    errs = getattr(cls, "tearDown_exceptions", [])
                    if errs:
                        raise errs[0][1]
                except (Exception, TestTimeout) as e:  # noqa: BLE001
                    msg = "tearDownClass of %s failed:\n%s" % (cls.__name__, "".join(
                        traceback.format_exception(type(e), e, e.__traceback__)))
                    t, status, detail, extra = pending
                    pending = (t, "fail", (detail + "\n" if status == "fail" else "") + msg, extra)
                finally:
                    signal.alarm(0)
                    if cls_daemon is not None and cls_daemon in harness.Mypoold.running:
                        cls_daemon.kill()
            if pending:
                report(*pending)
    except (KeyboardInterrupt, Terminated) as e:
        out("Bail out! interrupted: %s" % (e or "SIGINT"))
        return 2
    finally:
        signal.alarm(0)
        harness.cleanup()

    comment("%d passed, %d failed, %d skipped in %.1f s"
            % (counts["ok"], counts["fail"], counts["skip"], time.monotonic() - t0))
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    try:
        status = main(sys.argv[1:])
    except BaseException:  # noqa: BLE001 - a crash of the runner itself
        out("Bail out! run.py crashed")
        comment(traceback.format_exc())
        status = 2
    # 0: all passed; 1: some tests failed (each reported as "not ok"); 2: the runner broke.
    sys.exit(status)
