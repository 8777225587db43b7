"""Transfer against a real Orthanc: DIMSE, DICOMweb, packaging, each fault, the full loop.

Every test starts its own server on loopback (a fraction of a second) and never assumes
one is running. They skip only when the Orthanc binary is missing; `make test` installs it.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pydicom
import pytest
import requests

from imgshare import samples
from imgshare.transfer import dimse, loop, orthanc, package, web
from imgshare.transfer.corpus import make_ct_series
from imgshare.transfer.errors import (
    AssociationRefused,
    ConnectionLost,
    ContextNotAccepted,
    DecryptionFailed,
    ManifestMismatch,
    StoreFailed,
)

pytestmark = pytest.mark.requires("orthanc")  # skip, or fail under make test (conftest)

SERIES = sorted(samples.path("dicom/series-ct/CT5N_2062.dcm").parent.glob("*.dcm"))
J2K = samples.path("dicom/RG3_J2KI.dcm")
CT = samples.path("dicom/CT_small.dcm")


@pytest.fixture(scope="module")
def shared_server():
    # One archive for the module (a clean Orthanc shutdown takes about 3 s), emptied per test.
    with orthanc.start() as srv:
        yield srv


@pytest.fixture
def server(shared_server):
    shared_server.clear()
    assert shared_server.instance_count() == 0
    return shared_server


def pixel_bytes(path: Path) -> bytes:
    return pydicom.dcmread(path).PixelData


# --- the server itself ----------------------------------------------------------------------


def test_server_is_locked_down_and_stops_cleanly() -> None:
    srv = orthanc.start()
    with srv:
        assert srv.running()
        config = (srv.workdir / "orthanc.json").read_text()
        assert '"RemoteAccessAllowed": false' in config
        assert requests.get(srv.url + "/system", timeout=5).status_code == 401
        assert srv.rest("GET", "/system")["DicomAet"] == orthanc.SERVER_AET
        assert dimse.echo(srv.remote) == 0
    assert not srv.running()
    assert not srv.workdir.exists()


# --- DIMSE ------------------------------------------------------------------------------------


def test_store_find_move_get_are_byte_identical(server, tmp_path) -> None:
    results = dimse.store(server.remote, SERIES + [J2K])
    assert all(r.ok for r in results) and server.instance_count() == 6
    studies = dimse.find(server.remote, "STUDY", StudyInstanceUID=None, PatientID="98890234")
    assert len(studies) == 1
    study = studies[0]["StudyInstanceUID"]
    moved = dimse.move(server.remote, study, tmp_path / "move", destination_port=server.client.port)
    images = dimse.find(server.remote, "IMAGE", StudyInstanceUID=study, SOPClassUID=None)
    got = dimse.get(server.remote, study, tmp_path / "get", [i["SOPClassUID"] for i in images])
    assert len(moved) == len(got) == 5
    sent = {pydicom.dcmread(p).SOPInstanceUID: pixel_bytes(p) for p in SERIES}
    for path in moved + got:
        ds = pydicom.dcmread(path)
        assert ds.PixelData == sent[ds.SOPInstanceUID]
    # A compressed instance comes back by C-MOVE in its own transfer syntax, unchanged.
    j2k_study = pydicom.dcmread(J2K).StudyInstanceUID
    (back,) = dimse.move(
        server.remote, j2k_study, tmp_path / "j2k", server.client.aet, server.client.port
    )
    assert pixel_bytes(back) == pixel_bytes(J2K)


def test_negotiation_table_names_contexts(server) -> None:
    assoc = dimse.open_for_store(server.remote, [CT, J2K])
    try:
        rows = dimse.negotiation_table(assoc)
    finally:
        assoc.release()
    assert {r["SOP class"] for r in rows} == {
        "CT Image Storage",
        "Computed Radiography Image Storage",
    }
    assert all(r["result"] == "accepted" for r in rows)


def test_resend_stores_nothing_twice(server) -> None:
    dimse.store(server.remote, SERIES)
    dimse.store(server.remote, SERIES)
    web.stow(server, SERIES)
    assert server.instance_count() == len(SERIES)


# --- faults -----------------------------------------------------------------------------------


def test_wrong_called_ae_title_is_refused(server) -> None:
    wrong = orthanc.Remote(server.host, server.dicom_port, "NOT_THE_ARCHIVE")
    with pytest.raises(AssociationRefused, match="Called AE title not recognised"):
        dimse.echo(wrong)


def test_unknown_calling_ae_title_is_refused(server) -> None:
    with pytest.raises(AssociationRefused, match="Calling AE title not recognised"):
        dimse.store(server.remote, [CT], calling_aet="STRANGER")
    assert server.instance_count() == 0


def test_server_not_listening() -> None:
    nobody = orthanc.Remote("127.0.0.1", orthanc.free_port(), "ANYONE")
    with pytest.raises(AssociationRefused, match="nothing is listening"):
        dimse.echo(nobody)


def test_transfer_syntax_not_accepted() -> None:
    uncompressed_only = {"AcceptedTransferSyntaxes": ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"]}
    with orthanc.start(extra_config=uncompressed_only) as srv:
        with pytest.raises(ContextNotAccepted, match="JPEG 2000"):
            dimse.store(srv.remote, [J2K])
        with pytest.raises(StoreFailed, match="did not accept Computed Radiography"):
            dimse.store(srv.remote, [CT, J2K])
        assert srv.instance_count() == 1  # the CT went through; the JPEG 2000 file did not


def test_file_that_fails_to_store(server, tmp_path) -> None:
    ds = pydicom.dcmread(CT)
    del ds.StudyInstanceUID  # an archive cannot file an instance without its study
    broken = tmp_path / "broken.dcm"
    ds.save_as(broken)
    with pytest.raises(StoreFailed, match="broken.dcm"):
        dimse.store(server.remote, [broken, CT])
    assert server.instance_count() == 1


def test_dropped_connection_then_resend(tmp_path) -> None:
    files = make_ct_series(tmp_path / "corpus", slices=120, size=256)
    workdir = tmp_path / "archive"
    srv = orthanc.start(workdir=workdir)

    def crash_after_a_few() -> None:
        for _ in range(500):  # bounded: at most about 10 s
            if srv.instance_count() >= 5:
                break
            time.sleep(0.02)
        srv.crash()

    killer = threading.Thread(target=crash_after_a_few)
    killer.start()
    try:
        with pytest.raises(ConnectionLost, match="Resend the whole set"):
            dimse.store(srv.remote, files)
    finally:
        killer.join()
        srv.stop()
    # The archive restarts on the same storage; the resend completes, nothing is doubled.
    with orthanc.start(workdir=workdir) as again:
        before = again.instance_count()
        assert 0 < before < len(files)
        results, attempts = dimse.resend_until_complete(again.remote, files)
        assert 1 <= attempts <= 3 and len(results) == len(files)
        assert all(r.ok for r in results)
        dimse.resend_until_complete(again.remote, files)  # once more: still nothing doubled
        assert again.instance_count() == len(files)


def test_resend_until_complete_refuses_what_a_resend_cannot_mend() -> None:
    """Nothing listening is a refusal, not a loss: it is raised at once, not retried."""
    nobody = orthanc.Remote("127.0.0.1", orthanc.free_port(), "NOBODY")
    with pytest.raises(ValueError, match="at least 1"):
        dimse.resend_until_complete(nobody, [CT], 0)
    with pytest.raises(AssociationRefused, match="nothing is listening"):
        dimse.resend_until_complete(nobody, [CT])


# --- DICOMweb ---------------------------------------------------------------------------------


def test_dicomweb_stow_qido_wado(server) -> None:
    if not server.dicomweb:
        pytest.skip("the Debian package orthanc-dicomweb is not installed")
    stored = web.stow(server, SERIES + [J2K])
    assert len(stored) == 6
    studies = web.qido(server, "studies", PatientID="98890234")
    assert len(studies) == 1
    study = studies[0]["StudyInstanceUID"]
    series = web.qido(server, "series", StudyInstanceUID=study)
    assert series[0]["Modality"] == "CT"
    back = web.wado_study(server, study)
    sent = {pydicom.dcmread(p).SOPInstanceUID: pixel_bytes(p) for p in SERIES}
    assert {ds.SOPInstanceUID for ds in back} == set(sent)
    assert all(ds.PixelData == sent[ds.SOPInstanceUID] for ds in back)
    j2k = pydicom.dcmread(J2K)
    one = web.wado_instance(server, j2k.StudyInstanceUID, j2k.SeriesInstanceUID, j2k.SOPInstanceUID)
    assert one.file_meta.TransferSyntaxUID == j2k.file_meta.TransferSyntaxUID
    assert one.PixelData == j2k.PixelData


def test_rest_store_without_dicomweb() -> None:
    with orthanc.start(dicomweb=False) as srv:
        assert not srv.dicomweb
        with pytest.raises(RuntimeError, match="no DICOMweb plugin"):
            web.client(srv)
        results = web.rest_store(srv, [CT, CT])
        assert [r["result"] for r in results] == ["Success", "AlreadyStored"]
        assert srv.instance_count() == 1


# --- packaging --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["zip", "gztar"])
def test_fileset_seal_unseal(tmp_path, fmt) -> None:
    dicomdir = package.make_fileset(SERIES + [CT], tmp_path / "release")
    records = package.fileset_records(dicomdir)
    assert len(records) == 6
    key = package.new_key()
    sealed = package.seal(tmp_path / "release", tmp_path / "outbox", key, fmt)
    assert b"DICM" not in sealed.read_bytes()  # nothing readable at rest
    folder = package.unseal(sealed, tmp_path / "inbox", key)
    assert package.check_manifest(folder).checked == 7  # six images and the DICOMDIR
    with pytest.raises(DecryptionFailed, match="wrong key"):
        package.unseal(sealed, tmp_path / "inbox2", package.new_key())
    tampered = bytearray(sealed.read_bytes())
    tampered[len(tampered) // 2] ^= 0x01
    bad = tmp_path / "tampered.enc"
    bad.write_bytes(bytes(tampered))
    with pytest.raises(DecryptionFailed, match="altered"):
        package.unseal(bad, tmp_path / "inbox3", key)
    bad.write_bytes(sealed.read_bytes()[:-10])
    with pytest.raises(DecryptionFailed):
        package.unseal(bad, tmp_path / "inbox4", key)


@pytest.mark.parametrize("fault", ["missing", "extra", "altered"])
def test_manifest_fails_loudly(tmp_path, fault) -> None:
    package.make_fileset(SERIES, tmp_path / "release")
    package.write_manifest(tmp_path / "release")
    images = [p for p in (tmp_path / "release").rglob("IM*")]
    if fault == "missing":
        images[0].unlink()
    elif fault == "extra":
        (tmp_path / "release" / "notes.txt").write_text("not in the manifest")
    else:
        data = bytearray(images[0].read_bytes())
        data[-1] ^= 0x01
        images[0].write_bytes(bytes(data))
    with pytest.raises(ManifestMismatch, match=f"1 {fault}"):
        package.verify_manifest(tmp_path / "release")


# --- the full loop ----------------------------------------------------------------------------


@pytest.mark.parametrize("via", ["dimse", "dicomweb"])
def test_loop_finds_leaks_without_deidentification(server, tmp_path, via) -> None:
    src = tmp_path / "site"
    src.mkdir()
    for path in SERIES:
        (src / path.name).write_bytes(path.read_bytes())
    report = loop.round_trip(src, tmp_path / "work", server, loop.no_deidentification, via=via)
    assert report.sent == report.received == report.pixels_identical == 5
    assert report.leaks, "the control must show that identifying values arrived"
    assert not report.ok
    assert {"PatientID", "StudyInstanceUID"} <= {leak["attribute"] for leak in report.leaks}


@pytest.mark.parametrize("via", ["dimse", "dicomweb"])
def test_loop_with_engine_leaks_nothing_and_keeps_pixels(server, tmp_path, via) -> None:
    from imgshare.dicom import keys

    src = tmp_path / "site"
    src.mkdir()
    for path in SERIES + [CT, samples.path("dicom/MR_small.dcm")]:
        (src / path.name).write_bytes(path.read_bytes())
    keys.create_key(tmp_path / "key")
    engine = loop.engine(tmp_path / "key")
    report = loop.round_trip(src, tmp_path / "work", server, engine, via=via)
    assert report.leaks == []
    assert report.sent == report.received == report.pixels_identical == 7
    assert report.ok


def test_only_values_inside_kept_attributes_go_unsearched(tmp_path: Path) -> None:
    """The loop skips a value that a kept attribute also holds, but never one in a name."""
    from imgshare import testing

    ds = testing.ct()
    ds.InstitutionName = "ACME"
    ds.Manufacturer = "ACME_SCANNERS"  # kept by the profile: finding ACME proves nothing
    ds.OperatorsName = "Smith^Ann"
    ds.NameOfPhysiciansReadingStudy = "Smith^Ann"  # a name: must still be searched
    values, shared = loop.identifying_values([testing.save(ds, tmp_path / "a.dcm")])
    assert shared == {"ACME": "InstitutionName"}
    assert values["Smith^Ann"] == "OperatorsName"


def test_resend_until_complete_resends_after_each_loss(monkeypatch) -> None:
    """The retry loop alone (the archive's side is the dropped-connection test above)."""
    from imgshare.transfer.errors import ConnectionLost

    calls: list[int] = []

    def flaky(remote, paths, calling_aet):
        calls.append(len(paths))
        if len(calls) < 3:
            raise ConnectionLost("lost")
        return ["stored"]

    monkeypatch.setattr(dimse, "store", flaky)
    monkeypatch.setattr(dimse.time, "sleep", lambda s: None)
    nobody = orthanc.Remote("127.0.0.1", 1, "NOBODY")
    assert dimse.resend_until_complete(nobody, [CT, CT]) == (["stored"], 3)
    assert calls == [2, 2, 2]  # the whole set every time
    calls.clear()
    with pytest.raises(ConnectionLost):
        dimse.resend_until_complete(nobody, [CT], attempts=2)
    assert calls == [1, 1]
