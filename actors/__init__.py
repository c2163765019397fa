"""pyde1 runtime: pykka actors over the pure objects in ``pyde1``, plus the composition root."""
