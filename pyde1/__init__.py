"""pyde1: pure core (codecs, profiles, scale math, sequencer rules, config, events).

Nothing in this package may import pykka, threading, sockets, bleak, paho,
bottle, waitress or peewee: the runtime lives in ``actors``.
"""

__version__ = "0.1.0"
