"""Integration-test harness for mypool.

One throwaway MariaDB per run (scripts/mariadb-sandbox, or an existing server named by
MYPOOL_TEST_MARIADB_SOCKET), the real daemon ($MYPOOLD) in front of it, and real clients
(PyMySQL, mysqlclient, the `mariadb` CLI, and a raw-socket client for hostile input).

Environment:
  MYPOOLD                      the daemon binary (default: <repo>/build/daemon/mypoold)
  MYPOOL_SRCDIR                the source tree (default: two levels above this file)
  MYPOOL_TEST_DIRECT=1         connect() and cli() go straight to MariaDB; mypool-only tests skip
  MYPOOL_TEST_MARIADB_SOCKET   reuse a running MariaDB (needs the sandbox's accounts) instead of starting one
  MYPOOL_TEST_KEEP=1           keep the temp dir (logs, configs) after the run
  MYPOOL_TEST_LOG_LEVEL        log_level for the daemons (default info)
  MYPOOL_TEST_TIMEOUT_SCALE    multiply the time limits (default 1, 2 for a sanitizer build)
  MYPOOL_TEST_LOG_BIN=1        the run's MariaDB writes a binary log
"""

import atexit
import hashlib
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import pymysql

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.environ.get("MYPOOL_SRCDIR") or os.path.join(HERE, "..", ".."))
MYPOOLD = os.path.abspath(os.environ.get("MYPOOLD") or os.path.join(SRCDIR, "build", "daemon", "mypoold"))
DIRECT = os.environ.get("MYPOOL_TEST_DIRECT", "") not in ("", "0")
# The run's MariaDB writes a binary log (as every replication primary does): its trackers then
# report last_gtid after each commit.
LOG_BIN = os.environ.get("MYPOOL_TEST_LOG_BIN", "") not in ("", "0")
SANDBOX_SCRIPT = os.path.join(SRCDIR, "scripts", "mariadb-sandbox")

APP_USER, APP_PASSWORD = "app", "apppw"
POOL_USER, POOL_PASSWORD = "pool", "poolpw"
HASH_USER, HASH_PASSWORD = "hashuser", "hashpw"

_DEFAULT = object()


def log(msg):
    """Diagnostics go to stderr (stdout is TAP)."""
    sys.stderr.write("# harness: %s\n" % msg)
    sys.stderr.flush()


def _binary_is_sanitized(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
        return b"__asan_init" in data or b"AddressSanitizer" in data
    except OSError:
        return False


def _timeout_scale():
    v = os.environ.get("MYPOOL_TEST_TIMEOUT_SCALE")
    if v:
        return float(v)
    return 2.0 if (not DIRECT and _binary_is_sanitized(MYPOOLD)) else 1.0


TIMEOUT_SCALE = _timeout_scale()


def scaled(seconds):
    return seconds * TIMEOUT_SCALE


def native_password_hash(password):
    """MySQL's stored hash: '*' + upper hex SHA1(SHA1(password)), as in mysql.user."""
    return "*" + hashlib.sha1(hashlib.sha1(password.encode()).digest()).hexdigest().upper()


def native_password_token(password, scramble):
    """The mysql_native_password client token: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw)))."""
    if not password:
        return b""
    s1 = hashlib.sha1(password.encode()).digest()
    s2 = hashlib.sha1(s1).digest()
    s3 = hashlib.sha1(scramble + s2).digest()
    return bytes(a ^ b for a, b in zip(s1, s3))


def query_once(conn, sql, args=None):
    """Run one statement on a new connection, close it; return all rows."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        conn.close()


def lenenc_int(n):
    """A MySQL length-encoded integer."""
    if n < 0xFB:
        return bytes([n])
    if n < 1 << 16:
        return b"\xfc" + struct.pack("<H", n)
    if n < 1 << 24:
        return b"\xfd" + n.to_bytes(3, "little")
    return b"\xfe" + struct.pack("<Q", n)


def wait_until(pred, timeout, interval=0.05):
    """Poll pred() until it returns a true value or timeout seconds pass; return the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# /proc helpers.  A zombie ('Z') has exited but is not reaped yet; kill(pid, 0) still "finds" it.

def proc_stat(pid):
    """(state, ppid) of a process from /proc/PID/stat, or None if there is no such process."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError:
        return None
    rest = data.rpartition(")")[2].split()
    return rest[0], int(rest[1])


def proc_state(pid):
    st = proc_stat(pid)
    return st[0] if st else None


def is_running(pid):
    """True if the process exists and is not a zombie."""
    st = proc_state(pid)
    return st is not None and st not in ("Z", "X")


def children_of(ppid):
    """[(pid, state)] of all processes whose parent is ppid (zombies included)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = proc_stat(int(name))
        if st and st[1] == ppid:
            out.append((int(name), st[0]))
    return sorted(out)


# ---------------------------------------------------------------------------------------------
# The MariaDB sandbox: one per run.

class Sandbox:
    def __init__(self):
        self.external = bool(os.environ.get("MYPOOL_TEST_MARIADB_SOCKET"))
        self.dir = None
        self.socket = None
        self.started = False

    def start(self):
        if self.external:
            self.socket = os.environ["MYPOOL_TEST_MARIADB_SOCKET"]
            log("using the running MariaDB at %s" % self.socket)
        else:
            self.dir = os.path.join(tmp_root(), "mariadb")
            try:
                args = ["--log-bin"] if LOG_BIN else []
                p = subprocess.run([SANDBOX_SCRIPT, "start", self.dir] + args, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=150)
            except subprocess.TimeoutExpired as e:
                self.started = True  # so stop() cleans up whatever did start
                raise RuntimeError("scripts/mariadb-sandbox start timed out:\n%s"
                                   % (e.output or b"").decode(errors="replace"))
            self.started = True
            out = p.stdout.decode(errors="replace")
            if p.returncode != 0:
                raise RuntimeError("scripts/mariadb-sandbox start %s failed (rc %d):\n%s"
                                   % (self.dir, p.returncode, out))
            self.socket = os.path.join(self.dir, "mysql.sock")
        # Sanity: the accounts the tests rely on.
        c = self.connect(user=APP_USER, password=APP_PASSWORD)
        c.close()
        c = self.connect(user=POOL_USER, password=POOL_PASSWORD)
        c.close()
        return self

    def connect(self, user="root", password="", database="test", **kw):
        """A direct PyMySQL connection to MariaDB (root by default), for setup and verification."""
        kw.setdefault("connect_timeout", 10)
        kw.setdefault("read_timeout", scaled(60))
        kw.setdefault("write_timeout", scaled(60))
        kw.setdefault("autocommit", True)
        return pymysql.connect(unix_socket=self.socket, user=user, password=password,
                               database=database, **kw)

    def query(self, sql, args=None):
        """Run one statement directly on MariaDB as root; return all rows."""
        return query_once(self.connect(), sql, args)

    def stop(self):
        if self.external or not self.started or not self.dir:
            return
        self.started = False
        try:
            subprocess.run([SANDBOX_SCRIPT, "stop", self.dir], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        except subprocess.TimeoutExpired:
            pass
        # Belt and braces: never leave mariadbd running.
        try:
            with open(os.path.join(self.dir, "mariadbd.pid")) as f:
                pid = int(f.read().strip())
            if is_running(pid):
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass

    def error_log_tail(self, n=30):
        if not self.dir:
            return ""
        try:
            with open(os.path.join(self.dir, "error.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


_tmp_root = None
_sandbox = None


def tmp_root():
    global _tmp_root
    if _tmp_root is None:
        _tmp_root = tempfile.mkdtemp(prefix="mypool-it-", dir="/tmp")
        os.chmod(_tmp_root, 0o755)
    return _tmp_root


def sandbox():
    """The run's MariaDB (started on first use)."""
    global _sandbox
    if _sandbox is None:
        _sandbox = Sandbox()
        _sandbox.start()
    return _sandbox


class BackendMonitor:
    """Samples, every `interval` s, the pool account's connections as MariaDB's PROCESSLIST lists
    them (queried straight, as root).

    A connection the daemon has closed can stay listed for a moment while its server thread winds
    down: under load, a backend closed to make room for one of the other CLIENT_FOUND_ROWS flavour
    was seen still listed (as Sleep) after its replacement had logged in. So `max` counts, in each
    sample, only the connections still listed in the next sample (the last one counts whole)."""

    def __init__(self, sb=None, interval=0.02):
        self.conn = (sb or sandbox()).connect(database=None)
        self.lock = threading.Lock()
        self.interval = interval
        self.id_samples = []
        self.error = None
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def ids(self):
        with self.lock, self.conn.cursor() as cur:  # used by the poller and the test
            cur.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s",
                        (POOL_USER,))
            return frozenset(row[0] for row in cur.fetchall())

    def count(self):
        return len(self.ids())

    def _run(self):
        try:
            while not self.stop_event.is_set():
                self.id_samples.append(self.ids())
                self.stop_event.wait(self.interval)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *a):
        self.stop_event.set()
        self.thread.join(10)
        self.conn.close()

    @property
    def samples(self):
        return [len(ids) for ids in self.id_samples]

    @property
    def max(self):
        s = self.id_samples
        if not s:
            return None
        return max(len(ids & later) for ids, later in zip(s, s[1:] + s[-1:]))


def cleanup():
    """Stop every daemon and the sandbox, remove the temp dir. Safe to call more than once."""
    global _sandbox, _tmp_root
    for d in list(globals().get("Mypoold", type("_", (), {"running": []})).running):
        try:
            d.kill()
        except Exception as e:  # noqa: BLE001 - cleanup must go on
            log("cleanup: %r" % e)
    if _sandbox is not None:
        try:
            _sandbox.stop()
        except Exception as e:  # noqa: BLE001
            log("cleanup: %r" % e)
    if _tmp_root is not None and os.environ.get("MYPOOL_TEST_KEEP", "") in ("", "0"):
        subprocess.run(["rm", "-rf", _tmp_root], check=False)
    elif _tmp_root is not None:
        log("kept %s" % _tmp_root)
    _tmp_root = None


atexit.register(cleanup)


# ---------------------------------------------------------------------------------------------
# Clients

def connect(socket_path, user=APP_USER, password=APP_PASSWORD, database=_DEFAULT, **kw):
    """A PyMySQL connection (user app, database test by default; database=None for none)."""
    if database is _DEFAULT:
        database = "test"
    kw.setdefault("connect_timeout", 10)
    kw.setdefault("read_timeout", scaled(60))
    kw.setdefault("write_timeout", scaled(60))
    kw.setdefault("charset", "utf8mb4")
    return pymysql.connect(unix_socket=socket_path, user=user, password=password,
                           database=database, **kw)


def cli(socket_path, sql, user=APP_USER, password=APP_PASSWORD, database=_DEFAULT, args=(),
        timeout=60):
    """Run the `mariadb` CLI in batch mode (-N -B -e SQL); return (rc, stdout, stderr)."""
    if database is _DEFAULT:
        database = "test"
    cmd = ["mariadb", "--no-defaults", "-S", socket_path, "-u", user, "--connect-timeout=10",
           "-N", "-B"]
    if password is not None:
        cmd.append("-p" + password)
    cmd += list(args)
    if database:
        cmd.append(database)
    cmd += ["-e", sql]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=scaled(timeout))
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def admin(socket_path, *args, user=APP_USER, password=APP_PASSWORD, timeout=30):
    """Run mariadb-admin against the socket; return (rc, stdout, stderr)."""
    cmd = ["mariadb-admin", "--no-defaults", "-S", socket_path, "-u", user, "-p" + password,
           "--connect-timeout=10"] + list(args)
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=scaled(timeout))
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


# MySQL protocol constants used by the raw client.
CLIENT_LONG_PASSWORD = 0x1
CLIENT_FOUND_ROWS = 0x2
CLIENT_CONNECT_WITH_DB = 0x8
CLIENT_PROTOCOL_41 = 0x200
CLIENT_TRANSACTIONS = 0x2000
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_MULTI_STATEMENTS = 0x10000
CLIENT_MULTI_RESULTS = 0x20000
CLIENT_PLUGIN_AUTH = 0x80000
RAW_DEFAULT_CAPS = (CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS
                    | CLIENT_SECURE_CONNECTION | CLIENT_MULTI_RESULTS | CLIENT_PLUGIN_AUTH)

COM_QUIT = 0x01
COM_INIT_DB = 0x02
COM_QUERY = 0x03
COM_FIELD_LIST = 0x04
COM_PING = 0x0E
COM_BINLOG_DUMP = 0x12
COM_TABLE_DUMP = 0x13
COM_RESET_CONNECTION = 0x1F


class ServerError(Exception):
    """An ERR packet: code, sqlstate, message."""

    def __init__(self, code, sqlstate, message):
        super().__init__(code, sqlstate, message)
        self.code, self.sqlstate, self.message = code, sqlstate, message


def parse_err(payload):
    assert payload[:1] == b"\xff", payload[:16]
    code = struct.unpack("<H", payload[1:3])[0]
    if payload[3:4] == b"#":
        return ServerError(code, payload[4:9].decode(), payload[9:].decode(errors="replace"))
    return ServerError(code, "", payload[3:].decode(errors="replace"))


def _lenenc(data, pos):
    """Decode a length-encoded integer at pos; return (value or None for NULL, new pos)."""
    b = data[pos]
    if b < 0xFB:
        return b, pos + 1
    if b == 0xFB:
        return None, pos + 1
    if b == 0xFC:
        return struct.unpack("<H", data[pos + 1:pos + 3])[0], pos + 3
    if b == 0xFD:
        return int.from_bytes(data[pos + 1:pos + 4], "little"), pos + 4
    return struct.unpack("<Q", data[pos + 1:pos + 9])[0], pos + 9


def _lenenc_str(data, pos):
    n, pos = _lenenc(data, pos)
    if n is None:
        return None, pos
    return data[pos:pos + n], pos + n


class RawClient:
    """A MySQL protocol client on a raw Unix socket, for hostile-input and packet-level tests."""

    def __init__(self, socket_path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(scaled(timeout))
        self.sock.connect(socket_path)
        self.buf = b""
        self.greeting = None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def _recv_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed by peer after %d of %d bytes" % (len(self.buf), n))
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_packet(self):
        """(seq, payload) of the next packet; EOFError when the peer closed the connection."""
        hdr = self._recv_exact(4)
        length = int.from_bytes(hdr[:3], "little")
        payload = self._recv_exact(length)
        while length == 0xFFFFFF:
            hdr = self._recv_exact(4)
            length = int.from_bytes(hdr[:3], "little")
            payload += self._recv_exact(length)
        return hdr[3], payload

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_packet(self, payload, seq):
        self.sock.sendall(len(payload).to_bytes(3, "little") + bytes([seq & 0xFF]) + payload)

    def read_until_closed_or_packet(self):
        """The next packet, or None if the peer closed (EOF or reset). Raises socket.timeout."""
        try:
            return self.read_packet()
        except (EOFError, ConnectionResetError, BrokenPipeError):
            return None

    def read_greeting(self):
        seq, p = self.read_packet()
        if p[:1] == b"\xff":
            raise parse_err(p)
        assert p[0] == 10, "not a HandshakeV10 packet: %r" % p[:32]
        pos = p.index(b"\0", 1)
        server_version = p[1:pos].decode(errors="replace")
        pos += 1
        conn_id = struct.unpack("<I", p[pos:pos + 4])[0]
        pos += 4
        scramble = p[pos:pos + 8]
        pos += 9
        caps = struct.unpack("<H", p[pos:pos + 2])[0]
        pos += 2
        charset = p[pos]
        status = struct.unpack("<H", p[pos + 1:pos + 3])[0]
        caps |= struct.unpack("<H", p[pos + 3:pos + 5])[0] << 16
        auth_len = p[pos + 5]
        pos += 6 + 10
        rest_len = max(13, auth_len - 8)
        scramble += p[pos:pos + rest_len].rstrip(b"\0")
        pos += rest_len
        plugin = b""
        if caps & CLIENT_PLUGIN_AUTH and pos < len(p):
            plugin = p[pos:].split(b"\0")[0]
        self.greeting = dict(seq=seq, server_version=server_version, conn_id=conn_id,
                             scramble=scramble[:20], caps=caps, charset=charset, status=status,
                             plugin=plugin.decode(errors="replace"))
        return self.greeting

    def handshake_response(self, user, password, database=None, caps=RAW_DEFAULT_CAPS, charset=45,
                           plugin="mysql_native_password", token=None):
        """A HandshakeResponse41 payload (token: the auth data; default: the native token)."""
        g = self.greeting
        if token is None:
            token = native_password_token(password, g["scramble"])
        if database is not None:
            caps |= CLIENT_CONNECT_WITH_DB
        p = struct.pack("<IIB", caps, 16 * 1024 * 1024, charset) + b"\0" * 23
        p += user.encode() + b"\0" + bytes([len(token)]) + token
        if database is not None:
            p += database.encode() + b"\0"
        p += plugin.encode() + b"\0"
        return p

    def login(self, user=APP_USER, password=APP_PASSWORD, database="test", **kw):
        """Complete the handshake. Returns the OK payload, raises ServerError on ERR."""
        if self.greeting is None:
            self.read_greeting()
        self.send_packet(self.handshake_response(user, password, database, **kw), 1)
        seq, p = self.read_packet()
        self.auth_switch = None
        if p[:1] == b"\xfe":  # AuthSwitchRequest
            pos = p.index(b"\0", 1)
            plugin = p[1:pos]
            self.auth_switch = plugin.decode(errors="replace")
            data = p[pos + 1:].rstrip(b"\0")
            if plugin != b"mysql_native_password":
                raise AssertionError("raw client cannot switch to %r" % plugin)
            self.send_packet(native_password_token(password, data[:20]), seq + 1)
            seq, p = self.read_packet()
        self.full_auth = False
        if p == b"\x01\x04":  # caching_sha2_password full authentication (Unix socket)
            self.full_auth = True
            self.send_packet(password.encode() + b"\0", seq + 1)
            seq, p = self.read_packet()
        if p[:1] == b"\xff":
            raise parse_err(p)
        assert p[:1] == b"\x00", "expected OK after auth, got %r" % p[:32]
        return p

    def command(self, cmd, data=b""):
        self.send_packet(bytes([cmd]) + data, 0)

    def read_result(self):
        """Read one response: ('ok', affected, insert_id, status, warnings) or
        ('rows', [column names], [rows of bytes/None], status); raises ServerError on ERR."""
        seq, p = self.read_packet()
        if p[:1] == b"\xff":
            raise parse_err(p)
        if p[:1] == b"\x00":
            affected, pos = _lenenc(p, 1)
            insert_id, pos = _lenenc(p, pos)
            status, warnings = struct.unpack("<HH", p[pos:pos + 4])
            return ("ok", affected, insert_id, status, warnings)
        ncols, _ = _lenenc(p, 0)
        names = []
        for _ in range(ncols):
            names.append(self._column_name(self.read_packet()[1]))
        seq, p = self.read_packet()
        assert p[:1] == b"\xfe" and len(p) < 9, "expected EOF after columns, got %r" % p[:16]
        rows = []
        while True:
            seq, p = self.read_packet()
            if p[:1] == b"\xfe" and len(p) < 9:
                status = struct.unpack("<H", p[3:5])[0]
                return ("rows", names, rows, status)
            if p[:1] == b"\xff":
                raise parse_err(p)
            row, pos = [], 0
            for _ in range(ncols):
                v, pos = _lenenc_str(p, pos)
                row.append(v)
            rows.append(row)

    @staticmethod
    def _column_name(p):
        pos = 0
        fields = []
        for _ in range(5):  # catalog, schema, table, org_table, name
            v, pos = _lenenc_str(p, pos)
            fields.append(v)
        return fields[4].decode()

    def query(self, sql):
        self.command(COM_QUERY, sql.encode() if isinstance(sql, str) else sql)
        return self.read_result()

    def field_list(self, table):
        """COM_FIELD_LIST: the column names of table, or raise ServerError."""
        self.command(COM_FIELD_LIST, table.encode() + b"\0")
        names = []
        while True:
            seq, p = self.read_packet()
            if p[:1] == b"\xff":
                raise parse_err(p)
            if p[:1] == b"\xfe" and len(p) < 9:
                return names
            names.append(self._column_name(p))


# ---------------------------------------------------------------------------------------------
# The daemon

CONFIG_KEYS = {
    "mypoold": ["listen", "listen_tcp", "threads", "log_level", "pool_mode", "pool_wait_timeout",
                "shutdown_timeout", "max_allowed_packet", "max_client_conn",
                "client_idle_timeout", "client_login_timeout", "idle_transaction_timeout",
                "client_write_timeout", "client_read_timeout", "max_prepared_statements",
                "max_prepared_statement_bytes", "max_user_variable_bytes", "metrics_socket_mode", "auth_failure_threshold",
                "auth_failure_delay", "auth_failure_delay_max", "admin_users", "metrics_listen", "log_slow_ms"],
    "backend": ["socket", "host", "port", "user", "password", "pool_size", "min_idle",
                "connect_timeout", "server_idle_timeout", "server_lifetime", "tcp_keepalive",
                "statement_cache_bytes"],
}
_KEY_SECTION = {k: s for s, ks in CONFIG_KEYS.items() for k in ks}

_daemon_seq = 0
_daemons_this_test = []


def reset_test_daemons():
    del _daemons_this_test[:]


def test_daemons():
    return list(_daemons_this_test)


class DaemonError(AssertionError):
    pass


class Mypoold:
    """One mypoold process with its own config and temp dir.

    Mypoold(pool_size=2, pool_wait_timeout="1s", users={...}).start() ... .stop()
    Keyword arguments are config keys (section found automatically); users replaces [users].
    The backend is the run's sandbox unless backend_socket= (a Unix socket path) or
    backend_host= (with backend_port=) names another server; command_prefix= (argv list, e.g.
    ["ip", "netns", "exec", NS]) runs the daemon through a command that execs it.
    """

    running = []

    def __init__(self, users=None, extra=None, backend_socket=None, backend_host=None,
                 backend_port=3306, command_prefix=None, **overrides):
        global _daemon_seq
        _daemon_seq += 1
        self.name = "d%d" % _daemon_seq
        self.dir = os.path.join(tmp_root(), self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.socket = os.path.join(self.dir, "mypool.sock")
        self.config_path = os.path.join(self.dir, "mypoold.ini")
        self.log_path = os.path.join(self.dir, "mypoold.log")
        self.proc = None
        self.first_worker = None
        self.returncode = None
        self.command_prefix = list(command_prefix or [])
        sb = sandbox()
        cfg = {
            "mypoold": {
                "listen": self.socket,
                "threads": "2",
                "log_level": os.environ.get("MYPOOL_TEST_LOG_LEVEL", "info"),
                "pool_mode": os.environ.get("MYPOOL_TEST_POOL_MODE", "session"),
                "pool_wait_timeout": "5s",
                "shutdown_timeout": "10s",
                "max_allowed_packet": "64M",
            },
            "backend": {
                "socket": sb.socket,
                "user": POOL_USER,
                "password": POOL_PASSWORD,
                "pool_size": "10",
                "min_idle": "0",
                "connect_timeout": "5s",
            },
        }
        if backend_host is not None:
            del cfg["backend"]["socket"]
            cfg["backend"]["host"] = backend_host
            cfg["backend"]["port"] = str(backend_port)
        elif backend_socket is not None:
            cfg["backend"]["socket"] = backend_socket
        for k, v in overrides.items():
            if k not in _KEY_SECTION:
                raise ValueError("unknown mypoold config key %r" % k)
            cfg[_KEY_SECTION[k]][k] = str(v)
        if users is None:
            users = {APP_USER: APP_PASSWORD, HASH_USER: native_password_hash(HASH_PASSWORD)}
        lines = []
        for section in ("mypoold", "backend"):
            lines.append("[%s]" % section)
            lines += ["%s = %s" % kv for kv in cfg[section].items()]
            lines.append("")
        lines.append("[users]")
        lines += ["%s = %s" % kv for kv in users.items()]
        if extra:
            lines.append(extra)
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self, timeout=10):
        if not os.access(MYPOOLD, os.X_OK):
            raise DaemonError("the daemon binary %s does not exist (build it first, or set MYPOOLD)"
                              % MYPOOLD)
        self._logf = open(self.log_path, "ab")
        env = dict(os.environ)
        self.proc = subprocess.Popen(self.command_prefix + [MYPOOLD, "-c", self.config_path], stdin=subprocess.DEVNULL,
                                     stdout=self._logf, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        Mypoold.running.append(self)
        _daemons_this_test.append(self)
        try:
            self._wait_ready(scaled(timeout))
            self.first_worker = self.worker_pid(timeout=scaled(timeout))
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_ready(self, timeout):
        """Wait until the socket file exists and a connection gets the server greeting."""
        deadline = time.monotonic() + timeout
        last = "socket file %s never appeared" % self.socket
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DaemonError("mypoold exited with status %s during startup\n%s"
                                  % (self.proc.returncode, self.log_tail()))
            if os.path.exists(self.socket):
                try:
                    with RawClient(self.socket, timeout=max(0.5, deadline - time.monotonic())) as rc:
                        rc.read_greeting()
                    return
                except (OSError, EOFError, AssertionError, ServerError) as e:
                    last = "connect to %s: %r" % (self.socket, e)
            time.sleep(0.05)
        raise DaemonError("mypoold not ready within %.1f s: %s\n%s" % (timeout, last, self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        os.kill(self.proc.pid, sig)

    def wait(self, timeout):
        """Wait for the supervisor to exit; return its status, or None on timeout."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
            return self.returncode
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM, timeout=15, check_worker=True):
        """Stop with sig; assert exit status 0, socket file removed, no sanitizer report, and
        (check_worker) that the worker was never respawned (a crash would otherwise go unseen)."""
        if self.proc is None:
            return None
        problems = []
        if check_worker and self.alive():
            w = self.worker_pid(timeout=0.5, must=False)
            if self.first_worker and w and w != self.first_worker:
                problems.append("the worker process was respawned during the test (pid %d -> %d): "
                                "did it crash?" % (self.first_worker, w))
        if self.alive():
            self.send_signal(sig)
        rc = self.wait(scaled(timeout))
        if rc is None:
            problems.append("mypoold did not exit within %.0f s of signal %d" % (scaled(timeout), sig))
            self.kill()
            rc = self.proc.returncode
        self._finish()
        if rc != 0:
            problems.append("mypoold exit status %s (expected 0)" % rc)
        if os.path.exists(self.socket):
            problems.append("socket file %s still exists after exit" % self.socket)
            try:
                os.unlink(self.socket)
            except OSError:
                pass
        sanitizer = self.sanitizer_report()
        if sanitizer:
            problems.append("sanitizer report in the daemon log:\n" + sanitizer)
        if problems:
            raise DaemonError("; ".join(problems) + "\n" + self.log_tail())
        return rc

    def kill(self):
        """Emergency stop: SIGKILL the whole process group (supervisor and worker)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        for pid, _ in children_of(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._finish()

    def _finish(self):
        if self in Mypoold.running:
            Mypoold.running.remove(self)
        try:
            self._logf.close()
        except (AttributeError, OSError):
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, et, ev, tb):
        if et is None:
            self.stop()
        else:
            self.kill()

    # -- processes ------------------------------------------------------------------------

    def children(self):
        return children_of(self.proc.pid)

    def worker_pid(self, timeout=5, must=True):
        """The pid of the (single, live) worker child of the supervisor."""
        def find():
            live = [pid for pid, st in self.children() if st not in ("Z", "X")]
            return live[0] if len(live) == 1 else None
        pid = wait_until(find, timeout)
        if pid is None and must:
            raise DaemonError("expected exactly one live worker child of supervisor %d, found %r\n%s"
                              % (self.proc.pid, self.children(), self.log_tail()))
        return pid

    # -- logs -----------------------------------------------------------------------------

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_reloaded(self, count=1, timeout=5):
        """Wait until the worker has applied `count` reloads in all (the supervisor logs the same
        words first, when it has only checked the file); True if it has."""
        pat = re.compile(r"worker\[\d+\] INFO configuration reloaded")
        return wait_until(lambda: len(pat.findall(self.log_text())) >= count, scaled(timeout))

    def log_tail(self, n=60):
        lines = self.log_text().splitlines()
        head = "---- %s (%s), last %d of %d lines ----" % (self.log_path, self.name,
                                                          min(n, len(lines)), len(lines))
        return "\n".join([head] + lines[-n:] + ["----"])

    def sanitizer_report(self):
        text = self.log_text()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                       "ThreadSanitizer:"):
            i = text.find(marker)
            if i >= 0:
                return text[max(0, i - 200):i + 3000]
        return ""

    # -- clients --------------------------------------------------------------------------

    def connect(self, **kw):
        return connect(self.socket, **kw)

    def cli(self, sql, **kw):
        return cli(self.socket, sql, **kw)


# ---------------------------------------------------------------------------------------------
# Test base class

def mypool_only(reason):
    """Skip a test or class in direct mode."""
    return unittest.skipIf(DIRECT, "mypool-only: " + reason)


class TestCase(unittest.TestCase):
    """Base class. In mypool mode a class gets one shared daemon (config: daemon_config,
    daemon_users) unless shared_daemon is False; in direct mode self.target is MariaDB's socket.
    self.connect()/self.cli() go to self.target; connections are closed after each test."""

    daemon_config = {}
    daemon_users = None
    shared_daemon = True
    daemon = None

    @classmethod
    def setUpClass(cls):
        cls.sandbox = sandbox()
        cls.daemon = None
        if DIRECT:
            cls.target = cls.sandbox.socket
        elif cls.shared_daemon:
            cls.daemon = Mypoold(users=cls.daemon_users, **cls.daemon_config).start()
            cls.target = cls.daemon.socket
        else:
            cls.target = None

    @classmethod
    def tearDownClass(cls):
        d, cls.daemon = cls.daemon, None
        if d is not None:
            d.stop()

    def setUp(self):
        self._conns = []

    def tearDown(self):
        for c in reversed(self._conns):
            try:
                if getattr(c, "open", True):  # PyMySQL and mysqlclient connections have .open
                    c.close()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail
                pass
        del self._conns[:]

    def track(self, conn):
        self._conns.append(conn)
        return conn

    def connect(self, target=None, **kw):
        return self.track(connect(target or self.target, **kw))

    def raw(self, target=None, timeout=5.0):
        return self.track(RawClient(target or self.target, timeout=timeout))

    def cli(self, sql, target=None, **kw):
        return cli(target or self.target, sql, **kw)

    def direct(self, **kw):
        """A connection straight to MariaDB (as app), whatever the mode."""
        kw.setdefault("autocommit", True)
        return self.connect(target=self.sandbox.socket, **kw)

    def assertServerError(self, exc, code, message_prefix=None):
        """exc is a PyMySQL/MySQLdb error: check args[0] == code (and the message prefix)."""
        self.assertEqual(exc.args[0], code, "error %r" % (exc.args,))
        if message_prefix is not None:
            self.assertTrue(str(exc.args[1]).startswith(message_prefix),
                            "message %r does not start with %r" % (exc.args[1], message_prefix))
