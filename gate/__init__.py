"""pushgate's core: flights, steps, baselines and verdicts, and how they are judged."""

__version__ = "0.1.0"
