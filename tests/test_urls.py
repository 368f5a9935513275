"""One set of rules for the addresses a user gives (base_url, --base-url, --public-url) and one notion of origin."""

from __future__ import annotations

import pytest

from mjtui.config_file import normalise_base_url
from mjtui.serve import public_url_problem
from mjtui.urls import origin, same_origin

REFUSED = [
    ("", "must be a URL like https://host[:port] without spaces"),
    ("http://host .example", "must be a URL like https://host[:port] without spaces"),
    ("http://[::1", "is not a URL: expected https://host[:port], with an IPv6 address in [brackets]"),
    ("ftp://host.example", "must start with http:// or https://"),
    ("host.example:8000", "must start with http:// or https://"),
    ("http:///path", "has no host name"),
    ("http://me:secret@host.example", "must not contain a user name or password"),
    ("http://host.example:0", "has an invalid port: expected a number from 1 to 65535"),
    ("http://host.example:65536", "has an invalid port: expected a number from 1 to 65535"),
    ("http://host.example:http", "has an invalid port: expected a number from 1 to 65535"),
    ("http://host.example/?", "must not have a query (?...) or fragment (#...)"),
    ("http://host.example/#top", "must not have a query (?...) or fragment (#...)"),
]


@pytest.mark.parametrize(("url", "said"), REFUSED, ids=[url or "empty" for url, _ in REFUSED])
def test_base_url_and_public_url_refuse_the_same_addresses_in_the_same_words(url: str, said: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalise_base_url(url)
    assert str(caught.value).startswith(said)
    assert public_url_problem(url) == said
    assert "secret" not in str(caught.value), "the address is never repeated: it may hold a password"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "https://host.example/mjtui", "http://[::1]:8000/"])
def test_an_address_both_accept(url: str) -> None:
    assert public_url_problem(url) is None
    assert normalise_base_url(url) == url.rstrip("/")


def test_the_origin_is_the_one_a_browser_sends() -> None:
    assert origin("https://Host.Example:443/mjtui") == "https://host.example"
    assert origin("HTTP://host.example:8080/x?y") == "http://host.example:8080"
    assert origin("http://[::1]:8000") == "http://[::1]:8000"
    for no_origin in ("ftp://host.example", "http:///x", "http://host.example:99999", "http://[::1", "/relative"):
        assert origin(no_origin) is None, no_origin


def test_only_the_same_origin_may_see_a_token() -> None:
    assert same_origin("https://api.example/v1/jobs", "https://API.example:443")
    assert same_origin("http://api.example:80/x", "http://api.example")
    assert not same_origin("http://api.example/x", "https://api.example")
    assert not same_origin("https://api.example:8443/x", "https://api.example")
    assert not same_origin("https://cdn.example/x.png", "https://api.example")
    assert not same_origin("https://api.example:99999/x", "https://api.example"), "a bad port matches nothing"
    assert not same_origin("nonsense", "nonsense"), "no origin is never the same origin"
