"""livret: a software vendor's service booklet, run as code and measured."""

__version__ = "0.1.0"
