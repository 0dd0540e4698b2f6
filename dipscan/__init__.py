"""dipscan: sensitivity of beam-dump and forward experiments to dipole-coupled dark particles."""

__version__ = "0.1.0"
