"""DE1 Bluetooth LE protocol: fixed-point types, enums, packet codecs, MMR, firmware images.

Pure code: no I/O. Submodules: ``fixed`` (number types), ``enums``, ``errors``, ``uuids``
(characteristic table), ``codec`` (packet base class), ``packets`` (a001–a012 codecs except MMR
and profile packets), ``mmr`` (register table, feature flags), ``mmr_packets`` (ReadFromMMR /
WriteToMMR, multi-word reads), ``frames`` (profile header and frames), ``firmware`` (image
parsing and upload plan), ``registry`` (decoder per characteristic), ``bench``.
See docs/protocol.md.
"""
