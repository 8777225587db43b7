"""DICOM networking (DIMSE) with pynetdicom: echo, store, find, move and get.

Why: trial sites, core labs and sponsors still move images mostly as DICOM associations
between archives. A transfer is agreed in advance (host, port and AE title of each side)
and every association negotiates, per SOP class, a transfer syntax both sides accept.
These functions make each step visible (what was proposed, what was accepted) and turn each
way it can fail into an exception that says what to fix (see ``errors``).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom import Dataset, dcmread
from pydicom.uid import UID

from imgshare.transfer.errors import (
    AssociationRefused,
    ConnectionLost,
    ContextNotAccepted,
    StoreFailed,
)
from imgshare.transfer.orthanc import CLIENT_AET, Remote

#: Query/Retrieve, Study Root information model (the one archives support most widely).
STUDY_ROOT_FIND = UID("1.2.840.10008.5.1.4.1.2.2.1")
STUDY_ROOT_MOVE = UID("1.2.840.10008.5.1.4.1.2.2.2")
STUDY_ROOT_GET = UID("1.2.840.10008.5.1.4.1.2.2.3")
VERIFICATION = UID("1.2.840.10008.1.1")


@dataclass
class StoreResult:
    """What the archive answered for one file."""

    file: str
    sop_instance_uid: str
    status: int | None
    comment: str = ""

    @property
    def ok(self) -> bool:
        # 0x0000 success; 0xB000, 0xB006, 0xB007 are warnings (stored, with a caveat).
        return self.status is not None and (self.status == 0 or self.status >> 12 == 0xB)


def _ae(calling_aet: str):
    """An application entity with pynetdicom's own default timeouts.

    Why not shorter: an archive that is busy (a restart after a crash, a shared machine) can
    take more than ten seconds to answer one C-STORE, and a client that gives up then reports
    a lost connection for a transfer that would have succeeded. A dead peer is still found at
    once: its connection is reset, no timeout is waited for.
    """
    from pynetdicom import AE

    ae = AE(ae_title=calling_aet)
    ae.acse_timeout = 30
    ae.dimse_timeout = 30
    ae.network_timeout = 60
    return ae


def _listening(remote: Remote) -> bool:
    try:
        with socket.create_connection((remote.host, remote.port), timeout=2):
            return True
    except OSError:
        return False


def associate(ae, remote: Remote, **kwargs: Any):
    """Open an association, or raise ``AssociationRefused`` saying why it was refused."""
    from pynetdicom import evt

    answers: list[Any] = []

    def keep(event) -> None:
        answers.append(event.primitive)

    for _attempt in range(2):  # one retry when the peer gave no answer at all (bounded)
        answers.clear()
        assoc = ae.associate(
            remote.host,
            remote.port,
            ae_title=remote.aet,
            evt_handlers=[(evt.EVT_ACSE_RECV, keep)],
            **kwargs,
        )
        if assoc.is_established:
            return assoc
        if answers or assoc.is_rejected:
            break
        time.sleep(0.2)
    if assoc.is_rejected and not answers and assoc.acceptor.primitive is not None:
        answers.append(assoc.acceptor.primitive)
    where = f"{remote.aet} at {remote.host}:{remote.port}"
    if assoc.is_rejected and answers:
        rsp = answers[-1]
        raise AssociationRefused(
            f"{where} rejected the association from {ae.ae_title}: {rsp.result_str}, "
            f"source {rsp.source_str}, reason {rsp.reason_str!r}. Check that the called AE "
            "title is the server's and that the server lists this client (AE title and host)."
        )
    if not _listening(remote):
        raise AssociationRefused(
            f"nothing is listening at {remote.host}:{remote.port} (connection refused): "
            "is the server running, and is this its DICOM port?"
        )
    if assoc.is_aborted and answers:
        proposed = {cx.context_id: cx for cx in assoc.requestor.requested_contexts}
        refused = [proposed.get(cx.context_id, cx) for cx in assoc.rejected_contexts]
        raise ContextNotAccepted(
            f"{where} accepted none of the proposed presentation contexts "
            f"(SOP class in transfer syntax): {describe_contexts(refused)}"
        )
    raise AssociationRefused(f"no association with {where} (aborted or timed out)")


def describe_contexts(contexts: Iterable[Any]) -> str:
    """Presentation contexts in words: "CT Image Storage in JPEG 2000 Image Compression"."""
    return "; ".join(
        f"{UID(cx.abstract_syntax).name} in {', '.join(UID(ts).name for ts in cx.transfer_syntax)}"
        for cx in contexts
    )


def status_meaning(status: int | None) -> str:
    """The standard's words for a C-STORE status code (PS3.4 Annex B)."""
    from pynetdicom.status import STORAGE_SERVICE_CLASS_STATUS

    if status is None:
        return "no status"
    category, text = STORAGE_SERVICE_CLASS_STATUS.get(status, ("Unknown", "unknown status"))
    return f"0x{status:04X} {category}: {text}"


def negotiation_table(assoc) -> list[dict[str, str]]:
    """One row per proposed presentation context: SOP class, transfer syntax, result."""
    rows = []
    for cx in assoc.accepted_contexts:
        rows.append(
            {
                "context": cx.context_id,
                "SOP class": UID(cx.abstract_syntax).name,
                "transfer syntax": UID(cx.transfer_syntax[0]).name,
                "result": "accepted",
            }
        )
    for cx in assoc.rejected_contexts:
        rows.append(
            {
                "context": cx.context_id,
                "SOP class": UID(cx.abstract_syntax).name,
                "transfer syntax": ", ".join(UID(ts).name for ts in cx.transfer_syntax),
                "result": cx.status,
            }
        )
    return sorted(rows, key=lambda row: row["context"])


def echo(remote: Remote, calling_aet: str = CLIENT_AET) -> int:
    """C-ECHO ("DICOM ping"): the status the peer answers, 0 for success."""
    ae = _ae(calling_aet)
    ae.add_requested_context(VERIFICATION)
    assoc = associate(ae, remote)
    try:
        status = assoc.send_c_echo()
    finally:
        assoc.release()
    if "Status" not in status:
        raise ConnectionLost(f"no answer to C-ECHO from {remote.aet}")
    return int(status.Status)


def _headers(files: Sequence[Path]) -> list[tuple[Path, Dataset]]:
    return [(Path(f), dcmread(f, stop_before_pixels=True)) for f in files]


def propose(files: Sequence[Path], transfer_syntaxes: Sequence[str] | None = None):
    """The presentation contexts a sender proposes for these files.

    One context per (SOP class, transfer syntax) the files are in, so that the answer says
    exactly which combination the peer refuses. ``transfer_syntaxes`` overrides the files'
    own, to show what happens when a sender offers something the peer does not accept.
    """
    from pynetdicom.presentation import build_context

    pairs: list[tuple[str, str]] = []
    for _, ds in _headers(files):
        syntaxes = transfer_syntaxes or [ds.file_meta.TransferSyntaxUID]
        for ts in syntaxes:
            if (ds.SOPClassUID, ts) not in pairs:
                pairs.append((ds.SOPClassUID, ts))
    if len(pairs) > 128:
        raise ValueError(f"{len(pairs)} presentation contexts; an association allows 128")
    return [build_context(sop, ts) for sop, ts in pairs]


def open_for_store(
    remote: Remote,
    files: Sequence[Path],
    calling_aet: str = CLIENT_AET,
    transfer_syntaxes: Sequence[str] | None = None,
):
    """An association proposing what ``files`` need; the caller releases it."""
    ae = _ae(calling_aet)
    ae.requested_contexts = propose(files, transfer_syntaxes)
    return associate(ae, remote)


def store(
    remote: Remote,
    files: Iterable[Path | str],
    calling_aet: str = CLIENT_AET,
    check: bool = True,
) -> list[StoreResult]:
    """C-STORE each file over one association; raise if any was refused (``check``).

    A lost connection raises ``ConnectionLost`` at once, saying how many files the archive
    confirmed: resending all of them is safe, because the archive keys instances by SOP
    Instance UID and does not store one twice.
    """
    paths = [Path(f) for f in files]
    headers = _headers(paths)
    assoc = open_for_store(remote, paths, calling_aet)
    accepted = {(cx.abstract_syntax, cx.transfer_syntax[0]) for cx in assoc.accepted_contexts}
    results: list[StoreResult] = []
    try:
        for path, ds in headers:
            pair = (ds.SOPClassUID, ds.file_meta.TransferSyntaxUID)
            if pair not in accepted:
                results.append(
                    StoreResult(
                        path.name,
                        ds.SOPInstanceUID,
                        None,
                        f"not sent: {remote.aet} did not accept {ds.SOPClassUID.name} in "
                        f"{ds.file_meta.TransferSyntaxUID.name}",
                    )
                )
                continue
            try:
                rsp = assoc.send_c_store(path) if assoc.is_established else Dataset()
            except (RuntimeError, OSError):  # the association died under us
                rsp = Dataset()
            if "Status" not in rsp:
                confirmed = sum(r.ok for r in results)
                raise ConnectionLost(
                    f"connection to {remote.aet} lost while sending {path.name} "
                    f"({confirmed} of {len(paths)} files confirmed stored). Resend the whole "
                    "set: instances already stored are recognised by SOP Instance UID."
                )
            comment = str(rsp.get("ErrorComment", ""))
            results.append(StoreResult(path.name, ds.SOPInstanceUID, int(rsp.Status), comment))
    finally:
        if assoc.is_established:
            assoc.release()
    failed = [r for r in results if not r.ok]
    if check and failed:
        lines = "; ".join(f"{r.file}: {r.comment or status_meaning(r.status)}" for r in failed)
        raise StoreFailed(
            f"{len(failed)} of {len(results)} files were not stored by {remote.aet} ({lines}). "
            "The archive's own log says why it refused a file."
        )
    return results


def resend_until_complete(
    remote: Remote,
    files: Iterable[Path | str],
    attempts: int = 3,
    calling_aet: str = CLIENT_AET,
) -> tuple[list[StoreResult], int]:
    """Store the whole set, resending it after a lost connection, at most ``attempts`` times.

    Why: :class:`ConnectionLost` tells the user to resend the whole set, which is safe because
    the archive keys instances by SOP Instance UID. An archive that has just restarted after a
    crash, on a busy machine, may drop the first resend too; this does what the message says,
    a bounded number of times, and raises the last loss if every attempt lost the connection.
    Returns the results of the attempt that completed and how many attempts it took.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    paths = [Path(f) for f in files]
    for attempt in range(1, attempts + 1):
        try:
            return store(remote, paths, calling_aet), attempt
        except ConnectionLost:
            if attempt == attempts:
                raise
            time.sleep(1.0 * attempt)  # give the archive a moment before the next attempt
    raise AssertionError("unreachable")


def find(
    remote: Remote,
    level: str = "STUDY",
    calling_aet: str = CLIENT_AET,
    **keys: Any,
) -> list[dict[str, Any]]:
    """C-FIND at a level (STUDY, SERIES or IMAGE): the matches, with the keys asked for.

    Keys given as ``None`` or ``""`` are returned (universal matching); others are matched.
    """
    ae = _ae(calling_aet)
    ae.add_requested_context(STUDY_ROOT_FIND)
    query = Dataset()
    query.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(query, keyword, "" if value is None else value)
    assoc = associate(ae, remote)
    matches: list[dict[str, Any]] = []
    try:
        for status, identifier in assoc.send_c_find(query, STUDY_ROOT_FIND):
            if not status or "Status" not in status:
                raise ConnectionLost(f"connection to {remote.aet} lost during C-FIND")
            if status.Status in (0xFF00, 0xFF01) and identifier is not None:
                matches.append({kw: identifier.get(kw, "") for kw in keys})
    finally:
        if assoc.is_established:
            assoc.release()
    return matches


def _store_handler(folder: Path, received: list[Path]):
    def handle(event) -> int:
        sop_uid = event.request.AffectedSOPInstanceUID
        target = folder / f"{sop_uid}.dcm"
        # Written as received, byte for byte: preamble, file meta and the encoded dataset.
        target.write_bytes(event.encoded_dataset())
        received.append(target)
        return 0x0000

    return handle


def move(
    remote: Remote,
    study_uid: str,
    folder: Path,
    destination_aet: str = CLIENT_AET,
    destination_port: int | None = None,
    calling_aet: str = CLIENT_AET,
) -> list[Path]:
    """C-MOVE a study to ourselves: the archive opens a second association back to us.

    That is why the archive must know our AE title, host and port in advance (and why
    C-MOVE often fails through firewalls). We listen on 127.0.0.1 only, for the duration.
    """
    from pynetdicom import ALL_TRANSFER_SYNTAXES, evt
    from pynetdicom.presentation import AllStoragePresentationContexts, build_context

    if destination_port is None:
        raise ValueError("destination_port: the port the archive knows for our AE title")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    received: list[Path] = []
    ae = _ae(calling_aet)
    # Accept every transfer syntax, compressed ones included, so nothing is transcoded.
    ae.supported_contexts = [
        build_context(cx.abstract_syntax, ALL_TRANSFER_SYNTAXES)
        for cx in AllStoragePresentationContexts
    ]
    ae.add_requested_context(STUDY_ROOT_MOVE)
    scp = ae.start_server(
        ("127.0.0.1", destination_port),
        block=False,
        evt_handlers=[(evt.EVT_C_STORE, _store_handler(folder, received))],
    )
    try:
        query = Dataset()
        query.QueryRetrieveLevel = "STUDY"
        query.StudyInstanceUID = study_uid
        assoc = associate(ae, remote)
        try:
            _final_status(
                assoc.send_c_move(query, destination_aet, STUDY_ROOT_MOVE), "C-MOVE", remote,
                study_uid,
            )  # fmt: skip
        finally:
            if assoc.is_established:
                assoc.release()
    finally:
        scp.shutdown()
    return received


def get(
    remote: Remote,
    study_uid: str,
    folder: Path,
    sop_classes: Iterable[str],
    calling_aet: str = CLIENT_AET,
) -> list[Path]:
    """C-GET a study over the same association (no second connection, firewall-friendly).

    The requester must propose, with the SCP role, a storage context for every SOP class it
    expects back: hence ``sop_classes`` (find them first with a C-FIND at IMAGE level).
    """
    from pynetdicom import ALL_TRANSFER_SYNTAXES, evt
    from pynetdicom.presentation import build_role

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    received: list[Path] = []
    ae = _ae(calling_aet)
    ae.add_requested_context(STUDY_ROOT_GET)
    roles = []
    for sop in sorted(set(sop_classes)):
        ae.add_requested_context(sop, ALL_TRANSFER_SYNTAXES)
        roles.append(build_role(sop, scp_role=True))
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = study_uid
    assoc = associate(
        ae,
        remote,
        ext_neg=roles,
    )
    assoc.bind(evt.EVT_C_STORE, _store_handler(folder, received))
    try:
        _final_status(assoc.send_c_get(query, STUDY_ROOT_GET), "C-GET", remote, study_uid)
    finally:
        if assoc.is_established:
            assoc.release()
    return received


def _final_status(responses, operation: str, remote: Remote, study_uid: str) -> None:
    """Consume a C-MOVE/C-GET's responses; raise unless the last status is success."""
    final = None
    for status, _ in responses:
        if not status or "Status" not in status:
            raise ConnectionLost(f"connection to {remote.aet} lost during {operation}")
        final = status
    if final is None or final.Status != 0:
        raise StoreFailed(f"{operation} of study {study_uid} ended with {final}")
