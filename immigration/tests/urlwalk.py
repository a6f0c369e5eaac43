"""Every URL pattern of the project, walked from the root resolver, for tests that
must notice a new URL (the schema covers every API path; office scoping is classified
for every view)."""

from django.urls import URLPattern, URLResolver, get_resolver


def url_patterns(resolver: URLResolver | None = None, prefix: str = ""):
    """(full pattern text, URLPattern) for every pattern, e.g.
    ("api/v1/^bookings/(?P<code>[A-Za-z0-9-]{8,9})/$", <URLPattern>)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern, text)
        elif isinstance(pattern, URLPattern):
            yield text, pattern


def as_openapi_path(text: str) -> str:
    """A pattern as the schema writes its path: `{name}` for each parameter, e.g.
    `api/v1/^bookings/(?P<code>...)/qr\\.(?P<fmt>png|svg)$` -> `/api/v1/bookings/{code}/qr.{fmt}`
    and `offices/<slug:code>/` -> `/offices/{code}/`."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("(?P<", i):
            name_end = text.index(">", i)
            out.append("{" + text[i + 4 : name_end] + "}")
            depth, i = 1, name_end + 1
            while depth:
                depth += {"(": 1, ")": -1}.get(text[i], 0) if text[i - 1] != "\\" else 0
                i += 1
        elif text[i] == "<":
            end = text.index(">", i)
            out.append("{" + text[i + 1 : end].split(":")[-1] + "}")
            i = end + 1
        elif text[i] in "^$":
            i += 1
        elif text[i] == "\\":
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "/" + "".join(out)
