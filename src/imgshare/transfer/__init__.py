"""Moving images between sites, sponsors and requesters, and packaging them for release.

Short modules, each named for what it does:

- ``orthanc``: start and stop a private Orthanc DICOM server on loopback;
- ``dimse``: DICOM networking (C-ECHO, C-STORE, C-FIND, C-MOVE, C-GET) with pynetdicom;
- ``web``: DICOMweb (STOW-RS, QIDO-RS, WADO-RS) with dicomweb-client;
- ``package``: DICOMDIR file-sets, SHA-256 manifests, archives, encryption, verification;
- ``loop``: de-identify, send, query, retrieve and verify, end to end;
- ``errors``: one exception per way a transfer fails.
"""
