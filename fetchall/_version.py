"""The package version, in a leaf module so that inner modules never import the package root."""

__version__ = "0.1.0"
