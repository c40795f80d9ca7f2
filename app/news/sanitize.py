"""The one rule for news bodies: HTML is cleaned with nh3 (an allow-list) on every save, web
and API, and again when shown. No script, no event handler, no frame or plug-in, no
javascript:/data: URL, no remote image: images only from our own /news/image/<id>."""
import html
import re

import nh3

TAGS = {"p", "br", "strong", "b", "em", "i", "u", "s", "h2", "h3", "h4", "ul", "ol", "li",
        "blockquote", "a", "img", "table", "thead", "tbody", "tr", "th", "td"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"},
              "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}
# Removed with everything inside them (the others lose the tag and keep their text).
DROPPED_WITH_CONTENT = {"script", "style", "template", "iframe", "object", "embed", "noscript",
                        "textarea", "select", "svg", "math", "title", "head"}
OUR_IMAGE = re.compile(r"/news/image/[1-9][0-9]{0,9}")
SPAN = re.compile(r"[1-9][0-9]?")
IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")


def _attribute(tag, attribute, value):
    if tag == "img" and attribute == "src":
        return value if OUR_IMAGE.fullmatch(value) else None
    if attribute in ("colspan", "rowspan"):
        return value if SPAN.fullmatch(value) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=TAGS, clean_content_tags=DROPPED_WITH_CONTENT, attributes=ATTRIBUTES,
    attribute_filter=_attribute, url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer", strip_comments=True)


def clean_html(html: str | None) -> str:
    """Safe HTML for a news body (relative links are kept, images only from our storage)."""
    cleaned = _CLEANER.clean(html or "")
    return IMG_WITHOUT_SRC.sub("", cleaned).strip()


def image_ids(html: str) -> set[int]:
    """The ids of our images a (clean) body shows."""
    return {int(m.rsplit("/", 1)[1]) for m in re.findall(r'src="(/news/image/\d+)"', html)}


def plain_text(value: str) -> str:
    """The text of a body, for "is it empty?" and previews."""
    return " ".join(html.unescape(nh3.clean(value or "", tags=set())).split())
