"""DICOMweb (STOW-RS, QIDO-RS, WADO-RS) with dicomweb-client, against Orthanc's plugin.

Why: DICOMweb is DICOM over plain HTTPS, the interface cloud archives and data-sharing
platforms offer. Unlike a DIMSE association it passes through ordinary web proxies and
firewalls, authenticates like any web service, and needs no AE titles agreed in advance.
When the DICOMweb plugin is missing, ``rest_store`` uses Orthanc's own REST API instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydicom import Dataset, dcmread

from imgshare.transfer.errors import ConnectionLost, StoreFailed
from imgshare.transfer.orthanc import OrthancServer

#: Ask for instances in the transfer syntax they were stored in (no transcoding).
AS_STORED = (("application/dicom", "*"),)


def client(server: OrthancServer):
    """A DICOMweb client logged in to ``server`` with its generated user and password."""
    from dicomweb_client.api import DICOMwebClient
    from dicomweb_client.session_utils import create_session_from_user_pass

    if not server.dicomweb:
        raise RuntimeError(
            "this Orthanc has no DICOMweb plugin (Debian package 'orthanc-dicomweb'); "
            "use rest_store() and Orthanc's REST API instead"
        )
    session = create_session_from_user_pass(server.user, server.password)
    return DICOMwebClient(url=server.dicomweb_url, session=session)


def stow(server: OrthancServer, files: Iterable[Path | str]) -> list[dict[str, str]]:
    """STOW-RS: store files in one multipart request; raise if the server refused any."""
    import requests

    datasets = [dcmread(f) for f in files]
    try:
        response = client(server).store_instances(datasets)
    except requests.ConnectionError as error:
        raise ConnectionLost(f"connection to {server.url} lost during STOW-RS: {error}") from None
    except requests.HTTPError as error:
        raise StoreFailed(f"STOW-RS refused by {server.url}: {error}") from None
    stored = [
        {"SOPInstanceUID": item.ReferencedSOPInstanceUID, "result": "stored"}
        for item in response.get("ReferencedSOPSequence", [])
    ]
    failed = [
        {"SOPInstanceUID": item.ReferencedSOPInstanceUID, "result": f"failed {item.FailureReason}"}
        for item in response.get("FailedSOPSequence", [])
    ]
    if failed:
        raise StoreFailed(f"STOW-RS: {len(failed)} instance(s) refused: {failed}")
    return stored


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    ds = Dataset.from_json(item)
    return {el.keyword: (str(el.value) if el.value is not None else "") for el in ds if el.keyword}


def qido(server: OrthancServer, level: str = "studies", **filters: Any) -> list[dict[str, Any]]:
    """QIDO-RS: search studies, series or instances; the matches as keyword -> value."""
    web = client(server)
    search = {
        "studies": web.search_for_studies,
        "series": web.search_for_series,
        "instances": web.search_for_instances,
    }[level]
    return [_plain(item) for item in search(search_filters=filters or None)]


def wado_instance(server: OrthancServer, study: str, series: str, instance: str) -> Dataset:
    """WADO-RS: one instance, in the transfer syntax it was stored in."""
    return client(server).retrieve_instance(study, series, instance, media_types=AS_STORED)


def wado_study(server: OrthancServer, study: str) -> list[Dataset]:
    """WADO-RS: every instance of a study, as stored."""
    return client(server).retrieve_study(study, media_types=AS_STORED)


def rest_store(server: OrthancServer, files: Iterable[Path | str]) -> list[dict[str, str]]:
    """Orthanc's own REST API (POST /instances), for servers without DICOMweb."""
    results = []
    for file in files:
        answer = server.rest("POST", "/instances", data=Path(file).read_bytes())
        results.append({"OrthancID": answer.get("ID", ""), "result": answer["Status"]})
    return results
