"""Download a de1app profile from Visualizer (visualizer.coffee) by share code or URL.

A share code is exactly 4 characters: ``<base>/api/shots/shared?code=<code>`` answers with the
shot's JSON, whose ``profile_url`` is then fetched; its body is the Tcl profile. Any other
value is taken as the profile URL and fetched directly (a shot page URL
``<base>/shots/<id>`` is mapped to its profile URL ``<base>/api/shots/<id>/profile``).

Every failure is a :class:`VisualizerError` that says which URL and what went wrong.
The HTTP GET is a parameter (``get``) so the logic can be used without a network.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Callable

DEFAULT_BASE_URL = "https://visualizer.coffee"
DEFAULT_TIMEOUT = 10.0
SHARE_CODE_LENGTH = 4
_SHARE_CODE = re.compile(r"[A-Za-z0-9]{4}")
_SHOT_PAGE = re.compile(r"/shots/([A-Za-z0-9-]+)/?")


class VisualizerError(Exception):
    """A Visualizer download failed; ``url`` is the request (or the value given) at fault."""

    def __init__(self, url: str, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class VisualizerValueError(VisualizerError):
    """The value given is neither a valid share code nor an http(s) URL (nothing was fetched)."""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: bytes


HttpGet = Callable[[str, float], HttpAnswer]


@dataclass(frozen=True)
class DownloadedProfile:
    url: str        # the profile URL that was fetched (after resolving a share code)
    text: str       # its body, decoded


def is_share_code(value: str) -> bool:
    """pyDE1's rule: a value of exactly 4 characters is a share code, anything else a URL."""
    return len(value) == SHARE_CODE_LENGTH


def share_code_url(code: str, base_url: str = DEFAULT_BASE_URL) -> str:
    if not _SHARE_CODE.fullmatch(code):
        raise VisualizerValueError(code, "a share code is 4 letters or digits")
    query = urllib.parse.urlencode({"code": code})
    return f"{base_url.rstrip('/')}/api/shots/shared?{query}"


def profile_url_for(value: str, base_url: str = DEFAULT_BASE_URL) -> str:
    """The profile URL for a non-share-code value (validated; shot pages mapped)."""
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise VisualizerValueError(
            value, "not a Visualizer share code (4 characters) nor an http(s) URL")
    base = urllib.parse.urlsplit(base_url)
    page = _SHOT_PAGE.fullmatch(parts.path)
    if page and parts.netloc == base.netloc and not parts.query:
        return f"{base_url.rstrip('/')}/api/shots/{page.group(1)}/profile"
    return value


def download_profile(value: str, *, base_url: str = DEFAULT_BASE_URL,
                     timeout: float = DEFAULT_TIMEOUT,
                     get: HttpGet | None = None) -> DownloadedProfile:
    """Fetch the Tcl profile named by a share code or URL."""
    value = value.strip()
    fetch = get if get is not None else requests_get
    if is_share_code(value):
        url = _profile_url_from_share(value, base_url, timeout, fetch)
    else:
        url = profile_url_for(value, base_url)
    body = _checked_get(fetch, url, timeout)
    return DownloadedProfile(url=url, text=decode_text(body))


def decode_text(body: bytes) -> str:
    """Profiles are UTF-8 (de1app); very old ones may be Latin-1."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("latin-1")


def _profile_url_from_share(code: str, base_url: str, timeout: float, fetch: HttpGet) -> str:
    url = share_code_url(code, base_url)
    body = _checked_get(fetch, url, timeout, not_found="no shot is shared under this code")
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise VisualizerError(url, "the answer is not JSON") from None
    if not isinstance(answer, dict):
        raise VisualizerError(url, "the answer is not a JSON object")
    profile_url = answer.get("profile_url")
    if not isinstance(profile_url, str) or not profile_url:
        detail = answer.get("error") or "no profile_url in the answer"
        raise VisualizerError(url, f"{detail} (unknown or expired share code?)")
    return profile_url


def _checked_get(fetch: HttpGet, url: str, timeout: float,
                 not_found: str = "not found") -> bytes:
    answer = fetch(url, timeout)
    if answer.status == 404:
        raise VisualizerError(url, f"{not_found} (HTTP 404)")
    if answer.status != 200:
        raise VisualizerError(url, f"HTTP {answer.status}")
    return answer.body


def requests_get(url: str, timeout: float) -> HttpAnswer:
    """The real GET, with connect and read timeouts; network failures become VisualizerError."""
    import requests  # here, so that the pure converter imports without it

    try:
        response = requests.get(url, timeout=(timeout, timeout),
                                headers={"Accept": "application/json, text/plain, */*"})
    except requests.Timeout:
        raise VisualizerError(url, f"no answer within {timeout:g} s") from None
    except requests.ConnectionError as error:
        host = urllib.parse.urlsplit(url).netloc
        raise VisualizerError(url, f"cannot connect to {host}: {_connection_problem(error)}") from None
    except requests.RequestException as error:
        raise VisualizerError(url, f"request failed ({_short(error)})") from None
    return HttpAnswer(status=response.status_code, body=response.content)


def _connection_problem(error: Exception) -> str:
    text = str(error)
    if "resolve" in text.lower():
        return "the host name does not resolve (no network?)"
    if "refused" in text.lower():
        return "connection refused"
    if "timed out" in text.lower():
        return "connection timed out"
    return "network error"


def _short(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."
