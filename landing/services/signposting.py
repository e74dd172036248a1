"""FAIR Signposting (landing-doi.md §2.8): typed links for Link headers (level 1) and RFC 9264 linksets (level 2)."""

from dataclasses import dataclass

# Beyond this many links the Link header stays small and points to the linkset instead of listing items/authors.
HEADER_LINK_LIMIT = 30


@dataclass(frozen=True)
class Link:
    href: str
    rel: str
    type: str | None = None
    title: str | None = None  # RFC 8288 target attribute, e.g. why cite-as is not a DOI yet


def header(links: list[Link], *, linkset_url: str) -> str:
    """The value of the HTTP Link header: every link when few, else the essentials; always the linkset."""
    if len(links) > HEADER_LINK_LIMIT:
        links = [link for link in links if link.rel not in ("item", "author")]
    links = [*links, Link(linkset_url, "linkset", "application/linkset+json")]
    return ", ".join(_format(link) for link in links)


def _format(link: Link) -> str:
    value = f'<{link.href}> ; rel="{link.rel}"'
    if link.type:
        value += f' ; type="{link.type}"'
    if link.title:
        value += ' ; title="{}"'.format(link.title.replace("\\", "\\\\").replace('"', '\\"'))
    return value


def linkset_json(*, anchor: str, links: list[Link]) -> dict[str, list[dict[str, object]]]:
    """application/linkset+json: one context object keyed by relation, in order of first appearance."""
    context: dict[str, object] = {"anchor": anchor}
    for link in links:
        target: dict[str, str] = {"href": link.href}
        if link.type:
            target["type"] = link.type
        if link.title:
            target["title"] = link.title
        targets = context.setdefault(link.rel, [])
        assert isinstance(targets, list)  # only "anchor" is not a relation
        targets.append(target)
    return {"linkset": [context]}


def linkset_text(*, anchor: str, links: list[Link]) -> str:
    """application/linkset: the Link-header syntax with an anchor on every link, one per line."""
    return ",\n".join(f'{_format(link)} ; anchor="{anchor}"' for link in links) + "\n"
