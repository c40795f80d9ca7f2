"""A news image served to the web pages and the REST API alike."""
from flask import abort

from app.core.storage import send_stored


def send_image(image):
    """Our stored image with its own content type (never sniffed: the header is global)."""
    if image is None:
        abort(404)
    response = send_stored(image.file, "news_image", image.id, inline=True, max_age=0)
    if response.status_code == 200:
        response.headers["Cache-Control"] = "private, no-cache"
    return response
