"""sitepass: data platform for China's construction-site real-name system."""

__version__ = "0.1.0"
