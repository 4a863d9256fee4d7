"""Model selector: choose a large language model for a GenAI system."""

__version__ = "0.1.0"
