"""Which scale an advertisement belongs to (devices-and-sequencing.md A.0.1, A.0.2).

By name, case-insensitively: several unrelated scales share service ``fff0``, so a service
alone never identifies a scale. Services only choose the Acaia transport (A.2.1) and, as a
fallback, recognise a scale whose name is missing.

The model names are the pyDE1 class names that appear as ``sender`` on the wire
(``AtomaxSkaleII``, ``AcaiaLunar`` …); the two scales pyDE1 never supported get names of the
same kind (``DecentScale``, ``BookooScale``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyde1.scales import acaia, bookoo, decent, felicita, skale
from pyde1.scales.base import ScaleCodec, ScaleFamily

GENERIC = "GenericScale"


@dataclass(frozen=True)
class ScaleIdentity:
    family: ScaleFamily
    model: str                                   # class / sender name
    transport: acaia.AcaiaTransport | None = None  # Acaia only


# Acaia model keywords, most specific first (names seen: ACAIAL1…, PROCHBT001, PEARL-…,
# PEARLS…, LUNAR-…, PYXIS-…, CINCO…, "ACAIA LUNAR", "acaia pearl").
_ACAIA_MODELS = (("pyxis", "AcaiaPyxis"), ("lunar", "AcaiaLunar"), ("pearl", "AcaiaPearlS"),
                 ("proch", "AcaiaProch"), ("cinco", "AcaiaCinco"), ("acaia", "AcaiaAcaia"))


def identify(name: str | None, services: Iterable[str] = ()) -> ScaleIdentity | None:
    """The scale advertising ``name`` (and ``services``, when known), or None if it is not a
    supported scale. The Acaia Umbra (a third, unconfirmed transport) and the Bookoo
    Espresso Monitor (a pressure sensor) are deliberately not scales here."""
    found = {s.lower() for s in services}
    low = (name or "").strip().lower()
    if low.startswith("decent scale"):
        return ScaleIdentity(ScaleFamily.DECENT, "DecentScale")
    if low.startswith("skale"):
        return ScaleIdentity(ScaleFamily.SKALE, "AtomaxSkaleII")
    if low.startswith("felicita"):
        return ScaleIdentity(ScaleFamily.FELICITA, "FelicitaArc")
    if "bookoo" in low and not low.startswith("bookoo_em"):
        return ScaleIdentity(ScaleFamily.BOOKOO, "BookooScale")
    if low.startswith("umbra"):
        return None
    for keyword, model in _ACAIA_MODELS:
        if keyword in low:
            return ScaleIdentity(ScaleFamily.ACAIA, model, acaia.transport_for(name, found))
    if not low:
        return _by_services(found)
    return None


def _by_services(found: set[str]) -> ScaleIdentity | None:
    """No name: only the services that belong to one scale family alone."""
    if acaia.PYXIS_SERVICE in found or acaia.IPS_SERVICE in found:
        return ScaleIdentity(ScaleFamily.ACAIA, "AcaiaAcaia", acaia.transport_for(None, found))
    if skale.SERVICE in found:
        return ScaleIdentity(ScaleFamily.SKALE, "AtomaxSkaleII")
    if bookoo.SERVICE in found:
        return ScaleIdentity(ScaleFamily.BOOKOO, "BookooScale")
    return None   # ffe0 / fff0 are shared with other devices


def codec_for(identity: ScaleIdentity) -> ScaleCodec:
    """A fresh codec for one connection to the identified scale."""
    family = identity.family
    if family is ScaleFamily.SKALE:
        return skale.SkaleCodec()
    if family is ScaleFamily.ACAIA:
        return acaia.AcaiaCodec(identity.transport or acaia.AcaiaTransport.PYXIS)
    if family is ScaleFamily.FELICITA:
        return felicita.FelicitaCodec()
    if family is ScaleFamily.DECENT:
        return decent.DecentCodec()
    if family is ScaleFamily.BOOKOO:
        return bookoo.BookooCodec()
    raise ValueError(f"no codec for {family}")


def is_scale_name(name: str | None) -> bool:
    return identify(name) is not None
