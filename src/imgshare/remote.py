"""Sources and destinations given as fsspec URLs (object storage, memory, …).

Why: trial archives increasingly live in object storage. Any fsspec URL works here
(``s3://``, ``gs://``, ``az://`` with their fsspec packages installed, ``memory://`` for
tests). This first implementation stages: it copies the source to a local temporary
folder, runs the same local batch (so every guarantee of a local run holds), then uploads
each output under a temporary name and renames it into place, so a reader of the bucket
never sees a half-written object. It needs local disk for the source and the release.
Streaming each file straight from and to the store, worker by worker, and resuming into a
remote destination are not implemented yet; the "Scaling up" chapter says so.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from imgshare import batch
from imgshare.dicom import io
from imgshare.dicom.config import Config


def is_url(location: str | Path) -> bool:
    return "://" in str(location) and not str(location).startswith("file://")


def _local(location: str | Path) -> Path:
    text = str(location)
    return Path(text[len("file://") :]) if text.startswith("file://") else Path(text)


def download(url: str, into: Path) -> int:
    """Copy every file under an fsspec URL into a local folder, keeping relative paths."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    root = root.rstrip("/")
    count = 0
    files = [root] if fs.isfile(root) else sorted(fs.find(root))
    for remote in files:
        rel = Path(remote).name if remote == root else remote[len(root) + 1 :]
        target = into / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(remote, str(target))
        count += 1
    return count


def upload(local: Path, url: str) -> int:
    """Put every file of a local folder under an fsspec URL: temporary name, then rename."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    root = root.rstrip("/")
    count = 0
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        rel = path.relative_to(local).as_posix()
        final = f"{root}/{rel}"
        temp = f"{final}{io.TMP_SUFFIX}"
        fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
        fs.put_file(str(path), temp)
        fs.mv(temp, final)
        count += 1
    return count


def run(src: str | Path, dst: str | Path, cfg: Config, **options) -> batch.Report:
    """``batch.run`` for local paths or fsspec URLs on either side."""
    if not is_url(src) and not is_url(dst):
        return batch.run(_local(src), _local(dst), cfg, **options)
    report = options.pop("report", None)
    with tempfile.TemporaryDirectory(prefix="imgshare-stage-") as stage:
        local_src = Path(stage) / "source" if is_url(src) else _local(src)
        if is_url(src):
            download(str(src), local_src)
        local_dst = Path(stage) / "release" if is_url(dst) else _local(dst)
        rep = batch.run(local_src, local_dst, cfg, report=report, **options)
        if is_url(dst):
            upload(local_dst, str(dst))
    return rep
