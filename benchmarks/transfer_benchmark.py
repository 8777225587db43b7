"""Store and retrieve throughput over loopback: DIMSE (pynetdicom, dcmtk) and DICOMweb.

Not a test: run it by hand, `.venv/bin/python benchmarks/transfer_benchmark.py [--slices N]`.
It generates a synthetic CT series (512 x 512, 16-bit) in a temporary folder, starts a
private Orthanc on 127.0.0.1, and measures, one after the other on an emptied archive:
C-STORE with pynetdicom and with dcmtk's storescu (the reference client), STOW-RS with
dicomweb-client, then C-MOVE and C-GET with pynetdicom, getscu (dcmtk) and WADO-RS. It also
measures storescu with Nagle's algorithm left on, the Debian default, to show why the
server helper sets TCP_NODELAY. The table is written into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

from imgshare.transfer import dimse, orthanc, web
from imgshare.transfer.corpus import make_ct_series

README = Path(__file__).with_name("README.md")
BEGIN, END = "<!-- transfer-benchmark:begin -->", "<!-- transfer-benchmark:end -->"


def timed(label: str, count: int, nbytes: int, func) -> dict[str, object]:
    start = time.perf_counter()
    func()
    seconds = time.perf_counter() - start
    return {
        "run": label,
        "instances": count,
        "seconds": round(seconds, 2),
        "instances/s": round(count / seconds, 1),
        "MB/s": round(nbytes / seconds / 1e6, 1),
    }


def run(slices: int) -> list[dict[str, object]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="imgshare-bench-") as tmp:
        tmp = Path(tmp)
        files = make_ct_series(tmp / "corpus", slices=slices, size=512)
        nbytes = sum(f.stat().st_size for f in files)
        peers = {"STORESCU": 0, "GETSCU": 0}
        with orthanc.start(peers=peers) as srv:
            addr = [srv.host, str(srv.dicom_port)]
            results.append(
                timed("C-STORE, pynetdicom", slices, nbytes, lambda: dimse.store(srv.remote, files))
            )
            study = dimse.find(srv.remote, StudyInstanceUID=None)[0]["StudyInstanceUID"]
            results.append(
                timed(
                    "C-MOVE, pynetdicom",
                    slices,
                    nbytes,
                    lambda: dimse.move(
                        srv.remote, study, tmp / "move", destination_port=srv.client.port
                    ),
                )
            )
            results.append(
                timed(
                    "C-GET, pynetdicom",
                    slices,
                    nbytes,
                    lambda: dimse.get(
                        srv.remote, study, tmp / "get", ["1.2.840.10008.5.1.4.1.1.2"]
                    ),
                )
            )
            (tmp / "getscu").mkdir()
            getscu = ["getscu", "-aet", "GETSCU", "-aec", srv.aet, *addr, "-k",
                      "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}",
                      "-od", str(tmp / "getscu")]  # fmt: skip
            results.append(
                timed(
                    "C-GET, dcmtk getscu",
                    slices,
                    nbytes,
                    lambda: subprocess.run(getscu, check=True),
                )
            )
            results.append(
                timed(
                    "WADO-RS study, dicomweb-client",
                    slices,
                    nbytes,
                    lambda: web.wado_study(srv, study),
                )  # fmt: skip
            )
            srv.clear()
            storescu = ["storescu", "-aet", "STORESCU", "-aec", srv.aet, *addr,
                        *map(str, files)]  # fmt: skip
            results.append(
                timed(
                    "C-STORE, dcmtk storescu",
                    slices,
                    nbytes,
                    lambda: subprocess.run(storescu, check=True),
                )  # fmt: skip
            )
            srv.clear()

            def stow() -> None:
                for i in range(0, len(files), 25):  # 25 instances (about 13 MB) per request
                    web.stow(srv, files[i : i + 25])

            results.append(timed("STOW-RS, dicomweb-client (25 per request)", slices, nbytes, stow))
        # Nagle's algorithm on at both ends (what Orthanc and dcmtk do without TCP_NODELAY).
        os.environ["IMGSHARE_TCP_NODELAY"] = "0"
        try:
            with orthanc.start(peers=peers) as slow:
                cmd = ["storescu", "-aet", "STORESCU", "-aec", slow.aet, slow.host,
                       str(slow.dicom_port), *map(str, files)]  # fmt: skip
                env = {k: v for k, v in os.environ.items() if k != "TCP_NODELAY"}
                results.append(
                    timed(
                        "C-STORE, dcmtk storescu, Nagle on (no TCP_NODELAY)",
                        slices,
                        nbytes,
                        lambda: subprocess.run(cmd, check=True, env=env),
                    )  # fmt: skip
                )
        finally:
            os.environ.pop("IMGSHARE_TCP_NODELAY", None)
    return results


def table(results: list[dict[str, object]], slices: int, seconds: float) -> str:
    head = "| run | instances | seconds | instances/s | MB/s |\n|---|---:|---:|---:|---:|\n"
    body = "".join(
        f"| {r['run']} | {r['instances']} | {r['seconds']} | {r['instances/s']} | {r['MB/s']} |\n"
        for r in results
    )
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    return (
        f"{BEGIN}\n## Transfer throughput over loopback\n\n"
        f"`python benchmarks/transfer_benchmark.py --slices {slices}`: a synthetic CT series of "
        f"{slices} slices, 512 x 512, 16-bit (about 0.5 MB each), Orthanc 1.10 (Debian) with its "
        f"DICOMweb plugin on 127.0.0.1; {machine}; whole run {seconds:.0f} s. One association "
        "or one client per row, run one after the other on an emptied archive. Loopback shows "
        "the software's own cost; a real network adds latency and bandwidth limits.\n\n"
        + head
        + body
        + f"\n{END}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=300)
    args = parser.parse_args()
    start = time.perf_counter()
    results = run(args.slices)
    text = table(results, args.slices, time.perf_counter() - start)
    print(text)
    old = README.read_text() if README.exists() else "# Benchmarks\n\n"
    if BEGIN in old:
        old = old[: old.index(BEGIN)] + old[old.index(END) + len(END) + 1 :]
    README.write_text(old.rstrip("\n") + "\n\n" + text)


if __name__ == "__main__":
    main()
