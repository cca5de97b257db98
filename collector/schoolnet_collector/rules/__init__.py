"""Packaged data files: the default alert rules and the school calendar."""
