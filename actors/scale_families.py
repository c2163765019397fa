"""The specific scale classes. Their names are the ``sender`` of their events (pyDE1's class
names where pyDE1 had the scale: AtomaxSkaleII, AcaiaAcaia, AcaiaLunar, AcaiaProch,
AcaiaPearlS, AcaiaPyxis, FelicitaArc; DecentScale, BookooScale, AcaiaCinco are new).

Each is the shared :class:`~actors.scales.ScaleActor` plus what its family needs beyond the
codec: the Skale tares on button 1; Acaia and Decent scales only start weighing after their
handshake, so initialisation waits for the first weight.
"""

from __future__ import annotations

from actors.ble.messages import ConnectInfo
from actors.scales import ScaleActor
from pyde1.scales import ButtonReading, ScaleFamily, ScaleIdentity, acaia
from pyde1.scales.skale import BUTTON_TARE


class AtomaxSkaleII(ScaleActor):
    FAMILY = ScaleFamily.SKALE

    def tares_on_button(self, reading: ButtonReading) -> bool:
        return reading.button == BUTTON_TARE


class AcaiaScale(ScaleActor):
    """Both transports; which one is decided by the services found on connecting."""

    FAMILY = ScaleFamily.ACAIA

    def default_identity(self, info: ConnectInfo) -> ScaleIdentity:
        return ScaleIdentity(ScaleFamily.ACAIA, type(self).__name__,
                             acaia.transport_for(self.device_name, info.services))

    def handshake(self) -> None:
        self.handshake_until_weight()


class AcaiaAcaia(AcaiaScale):
    pass


class AcaiaProch(AcaiaScale):
    pass


class AcaiaLunar(AcaiaScale):
    pass


class AcaiaPearlS(AcaiaScale):
    pass


class AcaiaPyxis(AcaiaScale):
    pass


class AcaiaCinco(AcaiaScale):
    pass


class FelicitaArc(ScaleActor):
    FAMILY = ScaleFamily.FELICITA


class DecentScale(ScaleActor):
    FAMILY = ScaleFamily.DECENT

    def handshake(self) -> None:
        self.handshake_until_weight()


class BookooScale(ScaleActor):
    FAMILY = ScaleFamily.BOOKOO


CLASSES: dict[str, type[ScaleActor]] = {cls.__name__: cls for cls in (
    AtomaxSkaleII, AcaiaAcaia, AcaiaProch, AcaiaLunar, AcaiaPearlS, AcaiaPyxis, AcaiaCinco,
    FelicitaArc, DecentScale, BookooScale)}
BY_FAMILY: dict[ScaleFamily, type[ScaleActor]] = {
    ScaleFamily.SKALE: AtomaxSkaleII, ScaleFamily.ACAIA: AcaiaAcaia, ScaleFamily.FELICITA: FelicitaArc,
    ScaleFamily.DECENT: DecentScale, ScaleFamily.BOOKOO: BookooScale}


def class_for(identity: ScaleIdentity) -> type[ScaleActor]:
    return CLASSES.get(identity.model) or BY_FAMILY[identity.family]
