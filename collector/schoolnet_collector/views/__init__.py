"""What the API and the web pages both show, computed once.

The API's routes and the pages call the same functions here, so a page can never disagree
with the API it is tested against. Every function takes the caller's where-clause on
``School`` (``Caller.school_ids_filter()``) rather than the caller, so nothing outside the
caller's scope is counted and nothing here depends on how a request was authenticated.
"""
