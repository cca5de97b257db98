"""Server-rendered pages for people (Sở planners, commune offices, school IT teachers).

Vietnamese by default, English with ``?lang=en`` (remembered in a cookie). Same tokens and
scopes as the API: a token pasted into the login form opens a browser session (see
``registry.tokens``), and every figure comes from the functions the API routes use.
"""
