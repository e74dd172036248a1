"""Content negotiation on the landing URLs (landing-doi.md §2.6): ?format= first, then the Accept header (with
the DCAT profile of JSON-LD by `profile=` or `Accept-Profile`, W3C dx-prof-conneg)."""

from django.http import HttpRequest

from landing.graph import formats as rdf
from landing.services.exports import FORMATS

HTML = "html"
BIBLIOGRAPHY = "bibliography"
LINKSET_JSON = "linkset-json"
LINKSET = "linkset"
HTML_TYPES = ("text/html", "application/xhtml+xml")
EXTRA_TYPES = {
    "text/x-bibliography": BIBLIOGRAPHY,
    "application/linkset+json": LINKSET_JSON,
    "application/linkset": LINKSET,
    # Older clients ask for JSON-LD as plain JSON-LD's parent types.
    "application/vnd.schemaorg.ld+json": "jsonld",
    **rdf.RDF_MEDIA_TYPES,
}


class NotAcceptable(ValueError):
    pass


def media_ranges(accept: str) -> list[tuple[str, str]]:
    """(media range, its profile parameter) of an Accept header, best first (stable for equal quality)."""
    ranges = []
    for position, part in enumerate(accept.split(",")):
        pieces = [piece.strip() for piece in part.split(";")]
        if not pieces[0]:
            continue
        quality = 1.0
        profile = ""
        for parameter in pieces[1:]:
            if parameter.startswith("q="):
                try:
                    quality = float(parameter[2:])
                except ValueError:
                    quality = 0.0
            elif parameter.lower().startswith("profile="):
                profile = parameter[len("profile=") :].strip('"')
        if quality > 0:
            ranges.append((-quality, position, pieces[0].lower(), profile))
    return [(media, profile) for _, _, media, profile in sorted(ranges)]


def negotiate(request: HttpRequest, *, available: tuple[str, ...]) -> str:
    """The format key to answer with: HTML, or one of `available` export keys. Raises NotAcceptable."""
    explicit = request.GET.get("format")
    if explicit:
        if explicit == HTML or explicit in available:
            return explicit
        raise NotAcceptable(f"unknown format {explicit!r}; available: html, {', '.join(available)}")
    by_type = {FORMATS[key].media_type: key for key in available if key in FORMATS}
    by_type |= {media: key for media, key in EXTRA_TYPES.items() if key in available}
    accept = request.headers.get("Accept", "")
    if not accept.strip():
        return HTML
    profiles = request.headers.get("Accept-Profile", "")
    for media, profile in media_ranges(accept):
        if media == rdf.JSON_LD and "dcat" in available and rdf.is_dcat_profile(f"{profile} {profiles}"):
            return "dcat"
        if media in HTML_TYPES or media in ("*/*", "text/*"):
            return HTML
        if media in by_type:
            return by_type[media]
        if media == "application/*":
            return next(iter(by_type.values()), HTML)
    raise NotAcceptable(
        "none of the requested media types is available; try text/html or one of " + ", ".join(sorted(by_type))
    )
