"""Helpers shared by the tests: accounts, paths, fake servers, subprocess and netns helpers."""
