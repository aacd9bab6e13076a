"""The SSRF guard: literal addresses and localhost only, so no test traffic leaves this machine."""

from __future__ import annotations

import pytest

from oms_project.errors import InvalidInput
from webhooks import targets
from webhooks.errors import WebhookTargetNotAllowed

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.8.9.10:8080/hook",
    "http://localhost/hook",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://100.64.0.1/",  # shared address space (carrier NAT)
    "http://[::1]/",
    "http://[::]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[ff02::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
    "http://[::ffff:10.0.0.1]/",
    "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
    "http://[fec0::1]/",  # site-local (deprecated, still routed inside a site)
    "http://[feff:ffff::1]/",  # the end of fec0::/10
    "http://[3fff::1]/",  # documentation (RFC 9637)
    "http://192.0.0.8/",  # IETF protocol assignments
    "http://192.88.99.1/",  # 6to4 relay anycast (deprecated)
    "http://[64:ff9b::7f00:1]/",  # NAT64 wrapping 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo wrapping 127.0.0.1
    "http://[::127.0.0.1]/",  # IPv4-compatible (deprecated)
]


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_targets_are_refused(url: str) -> None:
    with pytest.raises(WebhookTargetNotAllowed) as caught:
        targets.check_target(url, allow_private=False)
    assert caught.value.field == "url"


@pytest.mark.parametrize("url", ["https://93.184.215.14/hook?x=1", "http://[2606:4700:4700::1111]:8443/h"])
def test_public_literal_addresses_are_accepted(url: str) -> None:
    target = targets.check_target(url, allow_private=False)
    assert target.addresses and target.host in url


def test_target_keeps_path_query_and_default_port() -> None:
    target = targets.check_target("https://93.184.215.14/a/b?c=d", allow_private=False)
    assert (target.scheme, target.port, target.path) == ("https", 443, "/a/b?c=d")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://93.184.215.14/",
        "file:///etc/passwd",
        "gopher://1.1.1.1/",
        "http://",
        "not a url",
        "http://user:pw@93.184.215.14/",
        "http://93.184.215.14:99999/",
    ],
)
def test_malformed_or_non_http_urls_are_invalid(url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        targets.check_target(url, allow_private=False)
    assert caught.value.field == "url"


def test_private_targets_pass_when_the_setting_allows_them() -> None:
    assert targets.check_target("http://127.0.0.1:9/", allow_private=True).addresses == ("127.0.0.1",)


def test_setting_decides_by_default(settings) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(WebhookTargetNotAllowed):
        targets.check_target("http://localhost:9/")
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert targets.check_target("http://localhost:9/").host == "localhost"
