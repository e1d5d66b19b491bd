"""Where a webhook may be sent: public addresses only (issue 13, server-side request forgery).

A webhook's address is chosen by a client; the worker POSTs to it from inside the vendor's
network. Without a check, ``http://127.0.0.1:…/``, ``http://10.0.0.5/`` or the cloud metadata
service ``http://169.254.169.254/`` would be reached from there. So an address is refused when
it is not a public unicast one: private, loopback, link-local, multicast, reserved, unspecified
(IPv4 and IPv6, and an IPv4 address carried in an IPv6 one: ``::ffff:127.0.0.1``, 6to4).

The check runs when the webhook is added (:func:`registration_problem`) and again at each
delivery (:func:`delivery_addresses`), after resolving the name: a name may resolve to a public
address on Monday and to ``127.0.0.1`` on Tuesday (DNS rebinding), so the worker connects to
the addresses it checked, never resolving again. ``LIVRET_WEBHOOK_ALLOWED_HOSTS`` names the
private hosts an operator allows (e.g. a receiver on the vendor's own network).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(Exception):
    """The webhook's host is, or resolves to, an address the worker must not reach."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the one place names are resolved; tests replace it)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_forbidden(address: str) -> bool:
    """True for an address a webhook must not reach: anything but public unicast."""
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])  # "fe80::1%eth0"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None and is_forbidden(str(inner)):
            return True
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_unspecified
    )


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.hostname or "").lower(), port


def _allowed(host: str) -> bool:
    allowed = {name.lower().strip("[]") for name in settings.WEBHOOK_ALLOWED_HOSTS}
    return host in allowed


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def registration_problem(url: str) -> str | None:
    """Why the worker must not send to ``url`` (French, for the form), or None.

    A name that does not resolve yet is accepted: it is checked again at each delivery.
    """
    host, port = _host_and_port(url)
    if _allowed(host):
        return None
    try:
        addresses = [host] if _literal(host) else resolve(host, port)
    except (OSError, UnicodeError):
        return None
    if any(is_forbidden(address) for address in addresses):
        return (
            "cette adresse mène à un réseau privé ou local (127.0.0.1, 10.x, 192.168.x, "
            "169.254.x, ::1 …) : seule une adresse publique est acceptée"
        )
    return None


def delivery_addresses(url: str) -> tuple[str, int, list[str]]:
    """The host name, the port and the checked addresses to connect to for ``url``.

    Raises :class:`TargetRefused` when one of the addresses is forbidden (the whole name is
    refused: a rebinding name may list a public address beside a private one), ``OSError``
    when the name does not resolve.
    """
    host, port = _host_and_port(url)
    addresses = [host.split("%", 1)[0]] if _literal(host) else resolve(host, port)
    if not _allowed(host):
        refused = [address for address in addresses if is_forbidden(address)]
        if refused:
            raise TargetRefused(
                f"adresse refusée : {host} mène à {', '.join(refused)} (réseau privé ou local)"
            )
    return host, port, addresses
