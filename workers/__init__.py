"""origin502's probing side: probes, diagnosis, jobs and the CLI engine."""

# The one place the version is written: pyproject.toml reads it from here (setuptools'
# dynamic version), and reports carry it without importlib.metadata's start-up cost.
__version__ = "0.1.0"
