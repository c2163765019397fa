"""DE1 Bluetooth LE protocol: fixed-point types, enums, packet codecs, MMR, firmware images.

Pure code: no I/O. Submodules:
``fixed`` (number types), ``enums``, ``errors``, ``uuids`` (characteristic table),
``packets`` (codecs of a001–a012 except the profile frames), ``mmr`` (register table, feature
flags), ``firmware`` (image parsing and upload plan), ``frames`` (profile header/frames).
"""
