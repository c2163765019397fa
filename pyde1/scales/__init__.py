"""Pure byte codecs of the supported Bluetooth scales (devices-and-sequencing.md part A).

* :func:`identify` — the scale family and model from an advertised name (and services);
* :func:`codec_for` — a codec for one connection: ``layout()`` (which characteristics),
  ``decode(uuid, data)`` (readings, or :class:`ScaleDecodeError`), and the commands
  ``init_commands()``, ``tare()``, ``display(on)``, ``heartbeat()``, ``timer(action)``.

Each family module also has the scale-side encoders the simulator uses.
"""

from pyde1.scales.acaia import AcaiaCodec, AcaiaStream, AcaiaTransport
from pyde1.scales.base import (BatteryReading, ButtonReading, GattLayout, InfoReading, Reading,
                               ScaleCodec, ScaleCommand, ScaleCommandError, ScaleDecodeError,
                               ScaleFamily, TareAck, TimerReading, WeightReading)
from pyde1.scales.bookoo import BookooCodec
from pyde1.scales.decent import DecentCodec
from pyde1.scales.felicita import FelicitaCodec
from pyde1.scales.identify import GENERIC, ScaleIdentity, codec_for, identify, is_scale_name
from pyde1.scales.skale import SkaleCodec

__all__ = [
    "GENERIC", "AcaiaCodec", "AcaiaStream", "AcaiaTransport", "BatteryReading", "BookooCodec",
    "ButtonReading", "DecentCodec", "FelicitaCodec", "GattLayout", "InfoReading", "Reading",
    "ScaleCodec", "ScaleCommand", "ScaleCommandError", "ScaleDecodeError", "ScaleFamily",
    "ScaleIdentity", "SkaleCodec", "TareAck", "TimerReading", "WeightReading", "codec_for",
    "identify", "is_scale_name",
]
