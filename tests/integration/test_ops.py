"""Operations: systemd units, sd_notify, socket activation, privilege drop, reload, pid file.

See docs/operations.md. The privilege tests need root (they switch to `nobody`) and skip
otherwise; the unit tests need systemd-analyze (Debian's systemd package, scripts/deps).
"""

import os
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time

import pymysql

import harness

SYSTEMD_DIR = os.path.join(harness.SRCDIR, "systemd")
NOBODY = 65534

# Exec mypoold with the given sockets as fds 3, 4, ... and LISTEN_PID set to its own pid, as
# systemd does (sd_listen_fds(3)): argv = fds (comma-separated), then mypoold's argv.
LAUNCHER = r"""
import fcntl, os, sys
fds = [int(x) for x in sys.argv[1].split(",")]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]  # out of the way of 3..3+n
for fd in fds:
    os.close(fd)
for i, fd in enumerate(high):
    os.dup2(fd, 3 + i, inheritable=True)
    os.close(fd)
os.environ["LISTEN_FDS"] = str(len(fds))
os.environ["LISTEN_FDNAMES"] = ":".join("s%d" % i for i in range(len(fds)))
os.environ["LISTEN_PID"] = str(os.getpid())  # exec keeps the pid
os.execv(sys.argv[2], sys.argv[2:])
"""


def run_mypoold(*args, timeout=10, **kw):
    p = subprocess.run([harness.MYPOOLD] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=harness.scaled(timeout), **kw)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def proc_ids(pid):
    """{'Uid': [r, e, s, fs], 'Gid': [...], 'Groups': [...]} from /proc/PID/status."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Uid", "Gid", "Groups"):
                out[k] = [int(x) for x in v.split()]
    return out


def ops_config(**keys):
    """Keys the harness does not know, as an `extra` [mypoold] section (sections may reopen)."""
    return "[mypoold]\n" + "".join("%s = %s\n" % kv for kv in keys.items())


class OpsDaemon(harness.Mypoold):
    """harness.Mypoold with a chosen environment and command line (NOTIFY_SOCKET, a socket-
    activation launcher), and a stop() that can leave an inherited socket file alone."""

    def start(self, timeout=10, env=None, argv=None, pass_fds=()):
        if not os.access(harness.MYPOOLD, os.X_OK):
            raise harness.DaemonError("the daemon binary %s does not exist" % harness.MYPOOLD)
        self._logf = open(self.log_path, "ab")
        e = dict(os.environ)
        for k in ("NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
            e.pop(k, None)
        e.update(env or {})
        cmd = argv or [harness.MYPOOLD, "-c", self.config_path]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._logf,
                                     stderr=subprocess.STDOUT, env=e, start_new_session=True,
                                     pass_fds=pass_fds)
        harness.Mypoold.running.append(self)
        harness._daemons_this_test.append(self)
        try:
            self._wait_ready(harness.scaled(timeout))
            self.first_worker = self.worker_pid(timeout=harness.scaled(timeout))
        except BaseException:
            self.kill()
            raise
        return self

    def stop(self, sig=signal.SIGTERM, timeout=15, check_worker=True, keep_socket=False):
        """keep_socket: the socket file belongs to whoever passed it (socket activation), so
        it must still be there afterwards instead of being removed."""
        if not keep_socket:
            return super().stop(sig, timeout, check_worker)
        real = self.socket
        self.socket = real + ".inherited"  # Mypoold.stop checks that self.socket is gone
        try:
            rc = super().stop(sig, timeout, check_worker)
        finally:
            self.socket = real
        if not os.path.exists(real):
            raise harness.DaemonError("mypoold removed the inherited socket file %s" % real)
        return rc

    def log_since(self, mark):
        return self.log_text()[mark:]


class NotifyReceiver:
    """The service manager's end of sd_notify: a datagram socket with SO_PASSCRED, so each
    message comes with its sender's pid."""

    def __init__(self, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        if abstract:
            name = "mypool-test-notify-%d-%d" % (os.getpid(), int(time.monotonic() * 1e6))
            self.sock.bind("\0" + name)
            self.env = "@" + name
        else:
            self.dir = tempfile.mkdtemp(prefix="notify-", dir=harness.tmp_root())
            path = os.path.join(self.dir, "notify.sock")
            self.sock.bind(path)
            self.env = path
        self.messages = []  # [(sender pid, {key: value})]

    def close(self):
        self.sock.close()

    def _drain(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            return False
        pid = None
        for level, typ, cdata in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", cdata[:12])[0]
        fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
        self.messages.append((pid, fields))
        return True

    def wait_for(self, key, value="1", timeout=10, after=0):
        """The index of the first message from index `after` on with key=value."""
        deadline = time.monotonic() + harness.scaled(timeout)
        while True:
            for i in range(after, len(self.messages)):
                if self.messages[i][1].get(key) == value:
                    return i
            left = deadline - time.monotonic()
            if left <= 0 or not self._drain(left):
                raise AssertionError("no %s=%s from mypoold within %.0f s; got %r"
                                     % (key, value, harness.scaled(timeout), self.messages))


@harness.mypool_only("systemd units of mypoold")
class SystemdUnitsTest(harness.TestCase):
    shared_daemon = False

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="units-", dir=harness.tmp_root())

    def read_unit(self, name):
        """{(section, key): [values]} of a unit file."""
        out, section = {}, None
        with open(os.path.join(SYSTEMD_DIR, name)) as f:
            for line in f:
                line = line.strip()
                if not line or line[0] in "#;":
                    continue
                if line.startswith("["):
                    section = line.strip("[]")
                    continue
                k, _, v = line.partition("=")
                out.setdefault((section, k.strip()), []).append(v.strip())
        return out

    def generate_service(self):
        """mypoold.service from the .in, pointing at the built daemon (systemd-analyze verify
        checks that ExecStart's binary exists)."""
        with open(os.path.join(SYSTEMD_DIR, "mypoold.service.in")) as f:
            text = f.read()
        text = text.replace("@sbindir@", os.path.dirname(harness.MYPOOLD))
        text = text.replace("@sysconfdir@", self.tmp)
        self.assertNotRegex(text, r"@[a-z_]+@", "a placeholder the make rule does not replace")
        path = os.path.join(self.tmp, "mypoold.service")
        with open(path, "w") as f:
            f.write(text)
        shutil.copy(os.path.join(SYSTEMD_DIR, "mypoold.socket"), self.tmp)
        return path

    def test_systemd_analyze_verify(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze not installed (Debian package systemd; scripts/deps)")
        service = self.generate_service()
        sock = os.path.join(self.tmp, "mypoold.socket")
        p = subprocess.run(["systemd-analyze", "verify", "--man=no", service, sock],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        out = p.stdout.decode(errors="replace")
        self.assertEqual(p.returncode, 0, out)
        # Unknown or misspelt settings are only warnings ("Unknown key ..., ignoring"): none
        # is allowed.
        self.assertEqual(out.strip(), "", "systemd-analyze verify complained:\n" + out)

        # And it does catch a broken unit (so the check above means something).
        with open(service) as f:
            broken = f.read().replace("NoNewPrivileges=yes", "NoNewPrivilege=yes")
        with open(service, "w") as f:
            f.write(broken)
        p = subprocess.run(["systemd-analyze", "verify", "--man=no", service, sock],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        self.assertIn("NoNewPrivilege", p.stdout.decode(errors="replace"))

    def test_security_exposure(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze not installed")
        service = self.generate_service()
        p = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--threshold=30",
                            service],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        out = p.stdout.decode(errors="replace")
        m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out)
        self.assertIsNotNone(m, out)
        # 10 = no hardening at all; the service is at 2.4 (it starts as root to drop privileges).
        self.assertLessEqual(float(m.group(1)), 3.0, out)

    def test_service_settings(self):
        u = self.read_unit("mypoold.service.in")
        want = {
            ("Service", "Type"): "notify",
            ("Service", "NotifyAccess"): "main",
            ("Service", "ExecStartPre"): "@sbindir@/mypoold -t -c @sysconfdir@/mypoold.ini",
            ("Service", "ExecStart"): "@sbindir@/mypoold -c @sysconfdir@/mypoold.ini",
            ("Service", "ExecReload"): "/bin/kill -HUP $MAINPID",
            ("Service", "KillSignal"): "SIGTERM",
            ("Service", "Restart"): "on-failure",
            ("Service", "RuntimeDirectory"): "mypool",
            ("Service", "LimitNOFILE"): "65536",
            ("Service", "NoNewPrivileges"): "yes",
            ("Service", "ProtectSystem"): "strict",
            ("Service", "ProtectHome"): "yes",
            ("Service", "PrivateTmp"): "yes",
            ("Service", "SystemCallArchitectures"): "native",
        }
        for k, v in want.items():
            self.assertEqual(u.get(k), [v], "%s=%s" % (k[1], u.get(k)))
        caps = set(u[("Service", "CapabilityBoundingSet")][0].split())
        self.assertEqual(caps, {"CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_NET_BIND_SERVICE"})
        # mypoold switches users itself (`user` in the configuration): the unit must not.
        self.assertNotIn(("Service", "User"), u)

    def test_socket_unit_matches_default_listen(self):
        """mypoold refuses an inherited socket that is not `listen`: the unit's path must be
        listen's default (from the config table, via conf/mypoold.ini)."""
        u = self.read_unit("mypoold.socket")
        with open(os.path.join(harness.SRCDIR, "conf", "mypoold.ini")) as f:
            default = re.search(r"^;listen = (\S+)$", f.read(), re.M).group(1)
        self.assertEqual(u[("Socket", "ListenStream")], [default])
        self.assertEqual(u[("Socket", "SocketMode")], ["0660"])
        service = self.read_unit("mypoold.service.in")
        runtime_dir = service[("Service", "RuntimeDirectory")][0]
        self.assertEqual(os.path.dirname(default), "/run/" + runtime_dir)

    def test_sysusers_and_tmpfiles(self):
        for tool in ("systemd-sysusers", "systemd-tmpfiles"):
            if not shutil.which(tool):
                self.skipTest("%s not installed" % tool)
        root = os.path.join(self.tmp, "root")
        os.makedirs(os.path.join(root, "etc"))
        for name in ("passwd", "group", "shadow", "gshadow"):
            open(os.path.join(root, "etc", name), "w").close()
        p = subprocess.run(["systemd-sysusers", "--root=" + root,
                            os.path.join(SYSTEMD_DIR, "sysusers.d", "mypool.conf")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout)
        with open(os.path.join(root, "etc", "passwd")) as f:
            self.assertRegex(f.read(), r"(?m)^mypool:x:\d+:\d+:")
        with open(os.path.join(root, "etc", "group")) as f:
            self.assertRegex(f.read(), r"(?m)^mypool:x:\d+:")
        p = subprocess.run(["systemd-tmpfiles", "--root=" + root, "--create",
                            os.path.join(SYSTEMD_DIR, "tmpfiles.d", "mypool.conf")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout)
        st = os.stat(os.path.join(root, "run", "mypool"))
        self.assertTrue(stat.S_ISDIR(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o755)


@harness.mypool_only("sd_notify from mypoold")
class NotifyTest(harness.TestCase):
    shared_daemon = False

    def run_cycle(self, abstract):
        rx = NotifyReceiver(abstract=abstract)
        self.addCleanup(rx.close)
        d = OpsDaemon()
        self.addCleanup(d.kill)
        d.start(env={"NOTIFY_SOCKET": rx.env})
        sup = d.pid

        i = rx.wait_for("READY")
        self.assertEqual(rx.messages[i][1].get("MAINPID"), str(sup))
        self.assertIn("STATUS", rx.messages[i][1])
        self.assertEqual(self.query(d), 1)

        d.send_signal(signal.SIGHUP)
        r = rx.wait_for("RELOADING", after=i + 1)
        self.assertRegex(rx.messages[r][1].get("MONOTONIC_USEC", ""), r"^\d+$")
        j = rx.wait_for("READY", after=r + 1)
        self.assertEqual(self.query(d), 1)

        d.send_signal(signal.SIGTERM)
        k = rx.wait_for("STOPPING", after=j + 1)
        self.assertEqual(d.wait(harness.scaled(15)), 0, d.log_tail())
        d.stop()  # exit status, socket removed, no sanitizer report
        # NotifyAccess=main: systemd takes them only from the main process, the supervisor.
        self.assertEqual({pid for pid, _ in rx.messages[:k + 1]}, {sup}, rx.messages)

    def query(self, d):
        c = self.connect(target=d.socket, autocommit=True)
        with c.cursor() as cur:
            cur.execute("SELECT 1")
            return cur.fetchall()[0][0]

    def test_notify_path_socket(self):
        self.run_cycle(abstract=False)

    def test_notify_abstract_socket(self):
        self.run_cycle(abstract=True)

    def test_no_notify_socket_no_harm(self):
        d = OpsDaemon()
        self.addCleanup(d.kill)
        d.start()
        d.send_signal(signal.SIGHUP)
        time.sleep(0.2)
        self.assertEqual(self.query(d), 1)
        d.stop()


@harness.mypool_only("socket activation of mypoold")
class SocketActivationTest(harness.TestCase):
    shared_daemon = False

    def unix_listener(self, path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        os.chmod(path, 0o666)
        s.listen(128)
        self.addCleanup(s.close)
        return s

    def launch(self, d, socks):
        fds = [s.fileno() for s in socks]
        argv = [sys.executable, "-c", LAUNCHER, ",".join(map(str, fds)),
                harness.MYPOOLD, "-c", d.config_path]
        return d.start(argv=argv, pass_fds=fds)

    def select(self, target, sql="SELECT 1"):
        c = self.connect(target=target, autocommit=True)
        with c.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()

    def test_inherited_unix_socket(self):
        d = OpsDaemon()
        self.addCleanup(d.kill)
        listener = self.unix_listener(d.socket)
        ino = os.stat(d.socket).st_ino
        self.launch(d, [listener])
        self.assertEqual(self.select(d.socket), ((1,),))
        self.assertIn("socket activation: using fd 3 (unix:%s)" % d.socket, d.log_text())
        self.assertEqual(os.stat(d.socket).st_ino, ino, "mypoold made its own socket file")
        d.stop(keep_socket=True)  # systemd's socket: not removed

        # Between two runs the socket still listens (we hold it, as systemd does): a client
        # that connects now waits in the backlog and is served by the next mypoold.
        waiting = harness.RawClient(d.socket, timeout=harness.scaled(20))
        self.track(waiting)
        d2 = OpsDaemon()
        self.addCleanup(d2.kill)
        d2.socket, d2.config_path = d.socket, d.config_path
        self.launch(d2, [listener])
        waiting.read_greeting()
        self.assertEqual(self.select(d.socket, "SELECT 2"), ((2,),))
        d2.stop(keep_socket=True)

    def test_inherited_unix_and_tcp(self):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(tcp.close)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(128)
        port = tcp.getsockname()[1]
        d = OpsDaemon(extra=ops_config(listen_tcp="127.0.0.1:%d" % port))
        self.addCleanup(d.kill)
        unix = self.unix_listener(d.socket)
        self.launch(d, [tcp, unix])  # any order: matched by address
        log = d.log_text()
        self.assertIn("using fd 3 (tcp:127.0.0.1:%d)" % port, log)
        self.assertIn("using fd 4 (unix:%s)" % d.socket, log)
        c = self.track(pymysql.connect(host="127.0.0.1", port=port, user=harness.APP_USER,
                                       password=harness.APP_PASSWORD, database="test",
                                       connect_timeout=10))
        with c.cursor() as cur:
            cur.execute("SELECT 'tcp'")
            self.assertEqual(cur.fetchall(), (("tcp",),))
        self.assertEqual(self.select(d.socket), ((1,),))
        d.stop(keep_socket=True)

    def test_mismatched_socket_refused(self):
        d = OpsDaemon()
        self.addCleanup(d.kill)
        other = os.path.join(d.dir, "other.sock")
        listener = self.unix_listener(other)
        fd = listener.fileno()
        p = subprocess.run([sys.executable, "-c", LAUNCHER, str(fd), harness.MYPOOLD, "-c",
                            d.config_path], pass_fds=[fd], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=harness.scaled(10))
        out = p.stdout.decode(errors="replace")
        self.assertEqual(p.returncode, 1, out)
        self.assertIn("fd 3 (unix:%s) matches none of listen (%s)" % (other, d.socket), out)
        self.assertFalse(os.path.exists(d.socket))

    def test_listen_pid_of_another_process_ignored(self):
        """LISTEN_FDS meant for another pid (inherited through a fork): mypoold opens its own."""
        d = OpsDaemon()
        self.addCleanup(d.kill)
        d.start(env={"LISTEN_PID": "1", "LISTEN_FDS": "1"})
        self.assertNotIn("socket activation", d.log_text())
        self.assertEqual(self.select(d.socket), ((1,),))
        d.stop()  # it made the socket file, so it removes it


@harness.mypool_only("privileges of mypoold")
class PrivilegeTest(harness.TestCase):
    shared_daemon = False

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.skipTest("needs root (switches to the user nobody)")

    def make_daemon(self, **keys):
        d = OpsDaemon(extra=ops_config(**keys))
        # The socket's directory is writable by the user, so the supervisor can remove the
        # socket (and the pid file) at exit after it switched users.
        os.chown(d.dir, NOBODY, NOBODY)
        self.addCleanup(d.kill)
        return d

    def test_drop_to_nobody(self):
        d = self.make_daemon(user="nobody", socket_mode="0660")
        # Opened by the supervisor before the switch, with the owner and mode of the client socket.
        metrics = os.path.join(d.dir, "metrics.sock")
        with open(d.config_path, "a") as f:
            f.write("metrics_listen = %s\n" % metrics)
        d.start()
        for pid in (d.pid, d.worker_pid()):
            ids = proc_ids(pid)
            self.assertEqual(ids["Uid"], [NOBODY] * 4, "pid %d: %r" % (pid, ids))
            self.assertEqual(ids["Gid"], [NOBODY] * 4, "pid %d: %r" % (pid, ids))
            self.assertNotIn(0, ids["Groups"], "pid %d kept root's groups: %r" % (pid, ids))
        for path in (d.socket, metrics):
            st = os.stat(path)
            self.assertTrue(stat.S_ISSOCK(st.st_mode), path)
            self.assertEqual((st.st_uid, st.st_gid), (NOBODY, NOBODY), path)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o660, path)
        self.assertRegex(d.log_text(), r"running as user nobody \(uid 65534, gid 65534\)")
        self.assertNotIn("running as root", d.log_text())

        # Clients are served (the worker reaches MariaDB as nobody) ...
        c = self.connect(target=d.socket, autocommit=True)
        with c.cursor() as cur:
            cur.execute("SELECT 1")
            self.assertEqual(cur.fetchall(), ((1,),))
        # ... socket_mode applies: the owner may connect, another user may not.
        probe = ("import socket, sys\ns = socket.socket(socket.AF_UNIX)\n"
                 "try:\n    s.connect(sys.argv[1])\nexcept PermissionError:\n    sys.exit(13)\n")
        for uid, rc in ((NOBODY, 0), (1, 13)):
            p = subprocess.run([sys.executable, "-c", probe, d.socket], user=uid, group=uid,
                               extra_groups=[], stdin=subprocess.DEVNULL, timeout=30)
            self.assertEqual(p.returncode, rc, "connect as uid %d" % uid)

        d.send_signal(signal.SIGHUP)  # reads the file again as nobody
        self.assertTrue(d.wait_reloaded(), d.log_tail())
        d.stop()  # exit 0, socket removed
        self.assertFalse(os.path.exists(metrics), "metrics socket left behind")

    def test_metrics_after_drop(self):
        """The worker (as nobody) serves metrics_listen on the socket the supervisor opened as
        root: in /run/mypool it could not create one itself (the directory is root's)."""
        d = OpsDaemon(extra=ops_config(user="nobody"))
        self.addCleanup(d.kill)
        metrics = os.path.join(d.dir, "metrics.sock")
        with open(d.config_path, "a") as f:
            f.write("metrics_listen = %s\n" % metrics)
        d.start()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(harness.scaled(10))
        self.addCleanup(s.close)
        s.connect(metrics)
        s.sendall(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        reply = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
        self.assertTrue(reply.startswith(b"HTTP/1.1 200") or reply.startswith(b"HTTP/1.0 200"),
                        reply[:300])
        self.assertNotIn("metrics are off", d.log_text())
        # As nobody, the supervisor cannot remove the socket files from a directory of root's:
        # they stay (a restart replaces them), and it says so.
        d.stop(keep_socket=True)
        self.assertIn("cannot remove the socket file %s" % d.socket, d.log_text())
        for path in (d.socket, metrics):
            os.unlink(path)

    def test_explicit_group(self):
        d = self.make_daemon(user="nobody", group="daemon")  # gid 1 on Debian
        d.start()
        gid = 1
        self.assertEqual(os.stat(d.socket).st_gid, gid)
        self.assertEqual(proc_ids(d.worker_pid())["Gid"], [gid] * 4)
        self.assertEqual(proc_ids(d.pid)["Uid"], [NOBODY] * 4)
        d.stop()

    def test_unknown_user(self):
        d = self.make_daemon(user="no_such_user_x")
        for args in (("-t", "-c", d.config_path), ("-c", d.config_path)):
            rc, out, err = run_mypoold(*args)
            self.assertEqual(rc, 1, out + err)
            self.assertIn("user 'no_such_user_x' does not exist", err)
        self.assertFalse(os.path.exists(d.socket))

    def test_not_root_cannot_switch(self):
        d = self.make_daemon(user="daemon")
        rc, out, err = run_mypoold("-c", d.config_path, user=NOBODY, group=NOBODY, extra_groups=[])
        self.assertEqual(rc, 1, out + err)
        self.assertIn("not as root: it cannot switch to user 'daemon'", err)
        self.assertFalse(os.path.exists(d.socket))
        # Being that user already is fine.
        d2 = self.make_daemon(user="nobody")
        rc, out, err = run_mypoold("-t", "-c", d2.config_path, user=NOBODY, group=NOBODY,
                                   extra_groups=[])
        self.assertEqual(rc, 0, out + err)

    def test_root_without_user_warns(self):
        d = OpsDaemon()
        self.addCleanup(d.kill)
        d.start()
        self.assertIn("running as root: set 'user'", d.log_text())
        d.stop()


@harness.mypool_only("reload of mypoold")
class ReloadTest(harness.TestCase):
    shared_daemon = False

    def start(self, **kw):
        d = OpsDaemon(**kw)
        self.addCleanup(d.kill)
        with open(d.config_path) as f:
            self.good = f.read()
        return d.start()

    def rewrite(self, d, text):
        with open(d.config_path + ".new", "w") as f:
            f.write(text)
        os.rename(d.config_path + ".new", d.config_path)

    def hup(self, d, expect):
        mark = len(d.log_text())
        d.send_signal(signal.SIGHUP)
        ok = harness.wait_until(lambda: expect in d.log_since(mark), harness.scaled(5))
        self.assertTrue(ok, "no '%s' after SIGHUP\n%s" % (expect, d.log_tail()))
        time.sleep(0.2)  # let the worker react (or not)
        return d.log_since(mark)

    def worker_lines(self, text, pid):
        return [l for l in text.splitlines() if "worker[%d]" % pid in l]

    def reload_lines(self, text, pid):
        """The worker's log lines about a reload (it logs one when it gets SIGHUP)."""
        return [l for l in self.worker_lines(text, pid) if re.search("SIGHUP|reload", l, re.I)]

    def served(self, d, c=None):
        c = c or self.connect(target=d.socket, autocommit=True)
        with c.cursor() as cur:
            cur.execute("SELECT 42")
            self.assertEqual(cur.fetchall(), ((42,),))
        return c

    def test_invalid_config_refused(self):
        d = self.start()
        worker = d.worker_pid()
        held = self.served(d)
        n = self.good.count("\n")
        self.rewrite(d, self.good + "[mypoold]\ncoro_stack_size = 1K\nfrobnicate = 1\n")
        log = self.hup(d, "still running with the previous configuration")
        self.assertIn("reload refused: %s:%d: key 'coro_stack_size': must be 32K..8M, got 1K"
                      % (d.config_path, n + 2), log)
        self.assertIn("reload refused: %s:%d: key 'frobnicate': unknown key in [mypoold]"
                      % (d.config_path, n + 3), log)
        self.assertIn("reload refused: 2 errors", log)
        # The worker was not told to reload, and nobody noticed anything.
        self.assertEqual(self.reload_lines(log, worker), [], log)
        self.served(d, held)
        self.served(d)
        self.assertEqual(d.worker_pid(), worker)

        # Fixed: accepted.
        self.rewrite(d, self.good)
        log = self.hup(d, "configuration reloaded")
        self.assertNotIn("refused", log)
        self.served(d, held)
        d.stop()

    def test_valid_config_applied_and_fixed_keys_reported(self):
        d = self.start()
        worker = d.worker_pid()
        held = self.served(d)
        moved = os.path.join(d.dir, "moved.sock")
        text = self.good.replace("listen = %s" % d.socket, "listen = %s" % moved)
        text = text.replace("pool_size = 10", "pool_size = 7")
        self.assertNotEqual(text, self.good)
        self.rewrite(d, text + "[mypoold]\nlog_slow_ms = 250\n")
        log = self.hup(d, "configuration reloaded")
        self.assertIn("reload: listen changed; ignored until a restart", log)
        self.assertNotIn("pool_size changed", log)
        # The worker got SIGHUP and re-reads the file itself.
        self.assertTrue(harness.wait_until(
            lambda: self.reload_lines(d.log_text(), worker), harness.scaled(3)), d.log_tail())
        self.assertFalse(os.path.exists(moved))
        self.served(d, held)
        self.served(d)

        # A respawned worker starts with the new snapshot (pool_size 7), keeping the old listen.
        os.kill(worker, signal.SIGKILL)
        self.assertTrue(harness.wait_until(
            lambda: d.worker_pid(must=False, timeout=0.1) not in (None, worker), harness.scaled(5)))
        new = d.worker_pid()
        self.assertTrue(harness.wait_until(
            lambda: [l for l in self.worker_lines(d.log_text(), new) if "pool_size 7" in l],
            harness.scaled(5)), d.log_tail())
        self.assertTrue(harness.wait_until(lambda: self._served_quietly(d), harness.scaled(5)))
        d.stop(check_worker=False)  # removes the socket it runs on, not the new path
        self.assertFalse(os.path.exists(moved))

    def _served_quietly(self, d):
        try:
            c = harness.connect(d.socket, connect_timeout=1, read_timeout=2, autocommit=True)
        except (pymysql.MySQLError, OSError):
            return False
        try:
            with c.cursor() as cur:
                cur.execute("SELECT 1")
                return True
        finally:
            c.close()

    def test_unreadable_file_refused(self):
        d = self.start()
        os.rename(d.config_path, d.config_path + ".away")
        log = self.hup(d, "still running with the previous configuration")
        self.assertIn("reload refused: %s: cannot open: No such file or directory" % d.config_path,
                      log)
        os.rename(d.config_path + ".away", d.config_path)
        self.served(d)
        d.stop()


@harness.mypool_only("pid file of mypoold")
class PidfileTest(harness.TestCase):
    shared_daemon = False

    def test_written_and_removed(self):
        d = OpsDaemon()
        self.addCleanup(d.kill)
        pidfile = os.path.join(d.dir, "run", "mypoold.pid")
        os.makedirs(os.path.dirname(pidfile))
        with open(pidfile, "w") as f:
            f.write("999999\n")  # stale, from a crash
        with open(d.config_path, "a") as f:
            f.write(ops_config(pidfile=pidfile))
        d.start()
        with open(pidfile) as f:
            self.assertEqual(f.read(), "%d\n" % d.pid)
        self.assertEqual(stat.S_IMODE(os.stat(pidfile).st_mode), 0o644)
        self.assertEqual(os.listdir(os.path.dirname(pidfile)), ["mypoold.pid"])  # no temp file
        d.stop()
        self.assertFalse(os.path.exists(pidfile), "pid file left after exit")

    def test_second_instance_leaves_it_alone(self):
        d = OpsDaemon()
        self.addCleanup(d.kill)
        pidfile = os.path.join(d.dir, "mypoold.pid")
        with open(d.config_path, "a") as f:
            f.write(ops_config(pidfile=pidfile))
        d.start()
        rc, out, err = run_mypoold("-c", d.config_path)  # same socket: in use
        self.assertEqual(rc, 1, out + err)
        self.assertIn("in use by another process", err)
        with open(pidfile) as f:
            self.assertEqual(f.read(), "%d\n" % d.pid)
        d.stop()
        self.assertFalse(os.path.exists(pidfile))


@harness.mypool_only("configuration check of mypoold")
class CheckConfigTest(harness.TestCase):
    shared_daemon = False

    def test_every_error_listed(self):
        d = OpsDaemon()
        path = os.path.join(d.dir, "bad.ini")
        with open(d.config_path) as f:
            good = f.read()
        n = good.count("\n")
        with open(path, "w") as f:
            f.write(good + "[mypoold]\n"                 # n+1
                    "admin_users = root,,ops\n"            # n+2
                    "metrics_listen = 0.0.0.0:9187\n"      # n+3
                    "log_slow_ms = soon\n"                 # n+4
                    "group = daemon\n"                     # n+5
                    "pidfile = run/mypoold.pid\n")         # n+6
        rc, out, err = run_mypoold("-t", "-c", path)
        self.assertEqual(rc, 1, out + err)
        for line, key in ((n + 2, "admin_users"), (n + 3, "metrics_listen"), (n + 4, "log_slow_ms"),
                          (n + 6, "pidfile"), (n + 5, "group")):
            self.assertRegex(err, r"(?m)^%s:%d: key '%s': " % (re.escape(path), line, key), err)
        self.assertIn("%s: 5 errors" % path, err)

    def test_new_keys_valid(self):
        d = OpsDaemon(extra=ops_config(admin_users="app, hashuser", log_slow_ms="200",
                                       metrics_listen="127.0.0.1:9187"))
        rc, out, err = run_mypoold("-t", "-c", d.config_path)
        self.assertEqual(rc, 0, out + err)

    def test_listen_tcp_ipv6_brackets(self):
        """Regression: listen_tcp = [::1]:PORT passed the config check but could not be
        opened (the brackets went to getaddrinfo)."""
        try:
            probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            probe.bind(("::1", 0))
            port = probe.getsockname()[1]
            probe.close()
        except OSError as e:
            self.skipTest("no IPv6 loopback: %s" % e)
        d = OpsDaemon(extra=ops_config(listen_tcp="[::1]:%d" % port))
        self.addCleanup(d.kill)
        d.start()
        c = self.track(pymysql.connect(host="::1", port=port, user=harness.APP_USER,
                                       password=harness.APP_PASSWORD, database="test",
                                       connect_timeout=10))
        with c.cursor() as cur:
            cur.execute("SELECT 6")
            self.assertEqual(cur.fetchall(), ((6,),))
        d.stop()
