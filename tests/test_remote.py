"""fsspec URLs: a release read from and written to an in-memory file system (offline),
identical to a local run, written under temporary names and renamed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import fsspec
import pytest

from imgshare import batch, cli, remote, testing
from imgshare.dicom import config, keys


@pytest.fixture
def memory_corpus(tmp_path: Path) -> tuple[Path, str]:
    local = tmp_path / "local"
    for i in range(6):
        testing.save(testing.ct(f"PAT-{i % 2}", "Doe^Jane", "20200101"), local / f"s{i}.dcm")
    fs = fsspec.filesystem("memory")
    url = f"memory://imgshare-test-{tmp_path.name}/src"
    for path in local.rglob("*.dcm"):
        fs.put_file(str(path), f"{url}/{path.relative_to(local).as_posix()}")
    return local, url


def test_memory_to_memory_equals_local(memory_corpus: tuple[Path, str], tmp_path: Path) -> None:
    local, url = memory_corpus
    cfg = config.build(keys.create_key(tmp_path / "k.key"))
    out_url = url.replace("/src", "/release")
    rep = remote.run(url, out_url, cfg)
    assert rep.counts["processed"] == 6
    batch.run(local, tmp_path / "local-out", cfg)
    fs = fsspec.filesystem("memory")
    root = out_url.split("://", 1)[1]
    remote_files = {
        p[len(root) + 2 :]: hashlib.sha256(fs.cat_file(p)).hexdigest()
        for p in fs.find(root)
        if p.endswith(".dcm")
    }
    local_files = {
        p.relative_to(tmp_path / "local-out").as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (tmp_path / "local-out").rglob("*.dcm")
    }
    assert remote_files == local_files and len(local_files) == 6
    assert not [p for p in fs.find(root) if p.endswith(".imgshare-tmp")]


def test_cli_accepts_urls(memory_corpus: tuple[Path, str], tmp_path: Path) -> None:
    _, url = memory_corpus
    key = keys.create_key(tmp_path / "k.key")
    code = cli.main(["deidentify", url, str(tmp_path / "out"), "--key-file", str(key),
                     "--no-progress"])  # fmt: skip
    assert code == 0 and len(list((tmp_path / "out").rglob("*.dcm"))) == 6
