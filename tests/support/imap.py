"""A real IMAP server for tests: Debian's Dovecot, started by the test as an unprivileged loopback-only instance.

Each server has its own folder (config, Maildir, logs, sockets), its own free
port on 127.0.0.1 and one user with a static password; nothing of the system's
Dovecot (``/etc/dovecot``, its service, ports 143/993) is used or touched.
Dovecot refuses to run its login processes as root, so under root (CI
containers, this sandbox) the whole instance runs as the ``dovecot`` system user
the package creates, in a folder handed to that user; otherwise it runs as
whoever runs the tests. Mail is delivered with IMAP APPEND, as a mail server's
delivery agent would put it in the mailbox. ``make test`` installs
``dovecot-imapd``; its absence fails the tests that need it, never skips them.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.smtp import free_port

DOVECOT_CANDIDATES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
START_TIMEOUT_SECONDS = 30
_CONFIG = """\
instance_name = soporte-test-{port}
base_dir = {home}/run
state_dir = {home}/state
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
first_valid_gid = {gid}
log_path = {home}/dovecot.log
mail_location = maildir:{home}/mail/%u
# IDLE learns of new mail from inotify; this is the fallback where inotify is missing.
mailbox_idle_check_interval = 1 secs
# A wrong password is answered sooner (Dovecot still adds its per-address penalty): a test tries one on purpose.
auth_failure_delay = 0 secs
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
{extra}
"""


def dovecot_binary() -> str:
    found = shutil.which("dovecot") or next((p for p in DOVECOT_CANDIDATES if os.access(p, os.X_OK)), None)
    if not found:
        pytest.fail("dovecot is not installed: run `make deps` (apt-get install dovecot-imapd)")
    return found


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    home: Path
    _process: subprocess.Popen = field(repr=False)

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put ``raw`` into ``folder`` (created if missing), unread, as a delivery agent would."""
        client = self.client()
        try:
            client.create(folder)  # "already exists" is fine
            status, detail = client.append(folder, None, None, raw)
            assert status == "OK", detail
        finally:
            client.logout()

    def messages(self, folder: str = "INBOX") -> list[tuple[set[str], bytes]]:
        """Each message in ``folder`` as (flags, bytes), oldest first, read without changing any flag."""
        client = self.client()
        try:
            status, _ = client.select(folder, readonly=True)
            if status != "OK":
                return []
            _, data = client.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
            found = []
            for item in data:
                if isinstance(item, tuple):
                    flags = re.search(rb"FLAGS \(([^)]*)\)", item[0])
                    found.append((set(flags.group(1).decode().split()) if flags else set(), item[1]))
            return found
        finally:
            client.logout()

    def log(self) -> str:
        path = self.home / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()  # the master stops its children on SIGTERM
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.home, ignore_errors=True)


def start_imap_server(user: str = "desk", password: str = "desk-imap-password", extra_config: str = "") -> ImapServer:
    """A running Dovecot; ``extra_config`` lines are appended (e.g. ``imap_capability = …`` to hide IDLE)."""
    binary = dovecot_binary()
    # Under root the instance runs as the package's unprivileged user; its folder is outside pytest's
    # tmp_path, which is private to root.
    runner = pwd.getpwnam("dovecot") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    home = Path(tempfile.mkdtemp(prefix="soporte-imap-"))
    for sub in ("run", "state", "mail"):
        (home / sub).mkdir()
    port = free_port()
    config = home / "dovecot.conf"
    config.write_text(
        _CONFIG.format(
            home=home,
            port=port,
            user=runner.pw_name,
            group=_group_name(runner.pw_gid),
            uid=runner.pw_uid,
            gid=runner.pw_gid,
            password=password,
            extra=extra_config,
        )
    )
    if os.geteuid() == 0:
        for path in [home, *home.rglob("*")]:
            os.chown(path, runner.pw_uid, runner.pw_gid)
    switch = {"user": runner.pw_uid, "group": runner.pw_gid, "extra_groups": []} if os.geteuid() == 0 else {}
    with open(home / "master.out", "wb") as out:
        process = subprocess.Popen([binary, "-F", "-c", str(config)], stdout=out, stderr=subprocess.STDOUT, **switch)
    server = ImapServer("127.0.0.1", port, user, password, home, process)
    _wait_until_ready(server)
    return server


def _group_name(gid: int) -> str:
    return grp.getgrgid(gid).gr_name


def _wait_until_ready(server: ImapServer) -> None:
    """Poll for the greeting (never a fixed sleep); a server that exits says why."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server._process.poll() is not None:
            output = (server.home / "master.out").read_text(errors="replace")
            server.stop()
            raise RuntimeError(f"dovecot exited with {server._process.returncode}: {output}")
        try:
            with socket.create_connection((server.host, server.port), timeout=1) as conn:
                if conn.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    log = server.log()
    server.stop()
    raise RuntimeError(f"dovecot did not answer on {server.host}:{server.port}: {log}")


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    """A Dovecot of this test's own, loopback only; ``deliver`` puts mail in, ``messages`` reads it back."""
    server = start_imap_server()
    yield server
    server.stop()
