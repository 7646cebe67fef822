"""How every door's download is answered: a letter's stored bytes, or a subject access export."""

from fastapi.responses import Response

from services.downloads import Download


def download_response(document: Download) -> Response:
    """A document to save, with its type and file name, never cached (it is personal data)."""
    headers = {
        "Content-Disposition": f'attachment; filename="{document.filename}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if document.media_type.startswith("text/html"):
        # Should a browser show it as a page of this site anyway, it may style itself and do nothing else.
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return Response(document.content, media_type=document.media_type, headers=headers)
