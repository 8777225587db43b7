"""Start a private, throw-away Orthanc DICOM server on loopback, and stop it cleanly.

Why: the book shows DICOM networking against a real archive, not a mock, and every chapter,
notebook and test must be able to run on its own. So each one starts its own server with a
generated configuration: free ports, a temporary storage folder, a generated user and
password, no remote access, only known peers on 127.0.0.1 allowed, and the DICOMweb plugin
when the system has it. Nothing assumes a server is already running, and a system service
installed by the Debian package is never touched.

Orthanc 1.10 (Debian 12) has no option to choose the listening address: it listens on all
interfaces. The configuration makes that harmless: HTTP refuses every client that is not on
the same machine (``RemoteAccessAllowed: false``), and DICOM accepts only the peers
registered here, checked by AE title *and* host 127.0.0.1 (``DicomCheckModalityHost``).
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The AE title the server answers to, and the one the book's client uses.
SERVER_AET = "IMGSHARE"
CLIENT_AET = "IMGSHARE_SCU"

_BINARIES = ("/usr/sbin/Orthanc", "/usr/bin/Orthanc", "/usr/local/bin/Orthanc")
_PLUGIN_DIRS = ("/usr/share/orthanc/plugins", "/usr/lib/orthanc", "/usr/local/share/orthanc")


def find_orthanc() -> Path | None:
    """The Orthanc executable (Debian puts it in /usr/sbin, which is not on a user's PATH)."""
    found = shutil.which("Orthanc")
    if found:
        return Path(found)
    for candidate in _BINARIES:
        if os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def find_dicomweb_plugin() -> Path | None:
    """The DICOMweb plugin library from the Debian package ``orthanc-dicomweb``, if installed."""
    for folder in _PLUGIN_DIRS:
        for path in sorted(Path(folder).glob("libOrthancDicomWeb.so*")):
            return path
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing is listening on right now.

    Drawn below the kernel's ephemeral range (32768 and up on Linux), where the operating
    system never hands out ports by itself: a Jupyter kernel or an outgoing connection that
    asks for "any port" cannot take it between our check and Orthanc's start-up.
    """
    rng = random.Random()
    for _ in range(200):  # bounded
        port = rng.randrange(20000, 32700)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Remote:
    """A DICOM peer as a client needs it: host, port and the AE title to call."""

    host: str
    port: int
    aet: str


@dataclass
class Peer:
    """A DICOM application entity the server will talk to (on 127.0.0.1 only)."""

    aet: str
    port: int


@dataclass
class OrthancServer:
    """A running Orthanc: where it listens, how to log in, and how to stop it."""

    aet: str
    host: str
    dicom_port: int
    http_port: int
    user: str
    password: str
    workdir: Path
    dicomweb: bool
    peers: dict[str, Peer]
    process: subprocess.Popen | None = field(default=None, repr=False)
    _owns_workdir: bool = field(default=True, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.url}/dicom-web"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.user, self.password)

    @property
    def client(self) -> Peer:
        """The peer the book's own client (pynetdicom) uses; also the C-MOVE destination."""
        return self.peers[CLIENT_AET]

    @property
    def remote(self) -> Remote:
        """Where a DICOM client finds this server: host, port and called AE title."""
        return Remote(self.host, self.dicom_port, self.aet)

    @property
    def log_file(self) -> Path:
        return self.workdir / "orthanc.log"

    def rest(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call Orthanc's REST API; raise on an HTTP error, return the decoded JSON."""
        import requests

        response = requests.request(
            method, self.url + path, auth=self.auth, timeout=kwargs.pop("timeout", 30), **kwargs
        )
        response.raise_for_status()
        if response.headers.get("Content-Type", "").startswith("application/json"):
            return response.json()
        return response.content

    def statistics(self) -> dict[str, Any]:
        return self.rest("GET", "/statistics")

    def instance_count(self) -> int:
        """How many instances the archive holds (a resend must not change it)."""
        return int(self.statistics()["CountInstances"])

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def clear(self) -> None:
        """Delete every patient (and so every study and instance): an empty archive again."""
        for patient in self.rest("GET", "/patients"):
            self.rest("DELETE", f"/patients/{patient}")

    def crash(self) -> None:
        """Kill the process without warning, as a power cut would (to test recovery)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15)

    def stop(self, timeout: float = 15) -> None:
        """Stop Orthanc (SIGTERM, then SIGKILL after ``timeout``) and remove its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> OrthancServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_config(
    *,
    aet: str,
    dicom_port: int,
    http_port: int,
    user: str,
    password: str,
    storage: Path,
    peers: dict[str, Peer],
    plugin: Path | None,
) -> dict[str, Any]:
    """Orthanc's configuration: locked down to loopback and to the named peers."""
    config: dict[str, Any] = {
        "Name": "imgshare-" + aet.lower(),
        "StorageDirectory": str(storage),
        "IndexDirectory": str(storage),
        "DicomAet": aet,
        "DicomPort": dicom_port,
        "HttpPort": http_port,
        # Security: only this machine over HTTP, with a generated login.
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {user: password},
        # DICOM: check the called AE title, and accept only registered peers on 127.0.0.1.
        "DicomCheckCalledAet": True,
        "DicomCheckModalityHost": True,
        "DicomAlwaysAllowEcho": False,
        "DicomAlwaysAllowStore": False,
        "DicomAlwaysAllowFind": False,
        "DicomAlwaysAllowGet": False,
        "DicomAlwaysAllowMove": False,
        "DicomModalities": {
            name.lower(): {
                "AET": peer.aet,
                "Host": "127.0.0.1",
                "Port": peer.port,
                "AllowEcho": True,
                "AllowFind": True,
                "AllowMove": True,
                "AllowGet": True,
                "AllowStore": True,
            }
            for name, peer in peers.items()
        },
        # A resend of an instance already held is not stored twice (the default, stated).
        "OverwriteInstances": False,
        "SaveJobs": False,
        "StableAge": 2,
        "DicomAssociationCloseDelay": 0,
        "MaximumPduLength": 131072,
        "HttpDescribeErrors": True,
        "Plugins": [str(plugin)] if plugin else [],
    }
    if plugin:
        config["DicomWeb"] = {
            "Enable": True,
            "Root": "/dicom-web/",
            "EnableWado": True,
            "WadoRoot": "/wado",
            "Host": f"127.0.0.1:{http_port}",
            "Ssl": False,
        }
    return config


def start(
    *,
    aet: str = SERVER_AET,
    peers: dict[str, int] | None = None,
    dicomweb: bool = True,
    timeout: float = 30,
    workdir: Path | None = None,
    extra_config: dict[str, Any] | None = None,
    verbose: bool = False,
) -> OrthancServer:
    """Start Orthanc on free loopback ports and wait until both DICOM and HTTP answer.

    ``peers`` maps AE titles to the ports they listen on (0 if they never listen); the
    book's client ``IMGSHARE_SCU`` is always registered, on a free port, so that it can
    receive C-MOVE. ``extra_config`` overrides Orthanc options (for example
    ``AcceptedTransferSyntaxes``, to show a refusal). Use the result as a context manager
    to stop the server afterwards.
    """
    binary = find_orthanc()
    if binary is None:
        raise FileNotFoundError(
            "Orthanc is not installed: install the Debian package 'orthanc' "
            "(listed in scripts/apt-packages.txt; `make test` installs it as root)"
        )
    plugin = find_dicomweb_plugin() if dicomweb else None
    own = workdir is None
    folder = Path(tempfile.mkdtemp(prefix="imgshare-orthanc-")) if own else Path(workdir)
    storage = folder / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    all_peers = {CLIENT_AET: Peer(CLIENT_AET, free_port())}
    for peer_aet, port in (peers or {}).items():
        all_peers[peer_aet] = Peer(peer_aet, port or free_port())
    server = OrthancServer(
        aet=aet,
        host="127.0.0.1",
        dicom_port=free_port(),
        http_port=free_port(),
        user="imgshare",
        password=secrets.token_urlsafe(18),
        workdir=folder,
        dicomweb=plugin is not None,
        peers=all_peers,
        _owns_workdir=own,
    )
    config = make_config(
        aet=aet,
        dicom_port=server.dicom_port,
        http_port=server.http_port,
        user=server.user,
        password=server.password,
        storage=storage,
        peers=all_peers,
        plugin=plugin,
    )
    config.update(extra_config or {})
    config_file = folder / "orthanc.json"
    config_file.write_text(json.dumps(config, indent=2))
    config_file.chmod(0o600)  # it holds the password
    log = open(server.log_file, "wb")  # noqa: SIM115 (the child process keeps it open)
    server.process = subprocess.Popen(
        [str(binary), *(["--verbose"] if verbose else []), str(config_file)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
        # DCMTK, under Orthanc's DICOM server, leaves Nagle's algorithm on unless this is set;
        # with it on, small DICOM messages wait for delayed TCP acknowledgements (tens of ms
        # per instance). The benchmark measures the difference.
        env={**os.environ, "TCP_NODELAY": os.environ.get("IMGSHARE_TCP_NODELAY", "1")},
        start_new_session=True,
    )
    log.close()
    try:
        _wait_until_ready(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_ready(server: OrthancServer, timeout: float) -> None:
    """Poll (a bounded number of times) until HTTP answers and the DICOM port accepts."""
    import requests

    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if not server.running():
            tail = server.log_file.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"Orthanc exited during start-up:\n{tail}")
        try:
            requests.get(server.url + "/system", auth=server.auth, timeout=2).raise_for_status()
            with socket.create_connection(("127.0.0.1", server.dicom_port), timeout=2):
                return
        except (requests.RequestException, OSError) as error:
            last_error = error
            time.sleep(0.1)
    raise TimeoutError(f"Orthanc did not answer within {timeout} s: {last_error}")
