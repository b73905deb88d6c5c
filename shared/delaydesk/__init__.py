"""DelayDesk: late-order detection, disruption policy windows and customer notices."""

__version__ = "0.1.0"
