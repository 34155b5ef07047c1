"""Where a request comes from: REMOTE_ADDR, or X-Forwarded-For read from the right behind trusted proxies."""

from audit.access import access_changes
from audit.context import client_ip, request_context


def test_without_trusted_proxies_it_uses_the_connection_address_and_ignores_forwarded_for():
    meta = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client_ip(meta, trusted_proxies=0) == "10.0.0.5"


def test_behind_one_proxy_it_takes_the_address_the_proxy_appended():
    # Mallory sends a forged X-Forwarded-For; the proxy appends her real address after it.
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.66, 203.0.113.9"}
    assert client_ip(meta, trusted_proxies=1) == "203.0.113.9"


def test_behind_two_proxies_it_skips_the_inner_proxy():
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.66, 203.0.113.9, 10.0.0.1"}
    assert client_ip(meta, trusted_proxies=2) == "203.0.113.9"


def test_fewer_entries_than_proxies_takes_the_leftmost_which_a_proxy_wrote():
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client_ip(meta, trusted_proxies=3) == "203.0.113.9"


def test_garbage_in_the_header_falls_back_to_the_connection_address():
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "<script>"}
    assert client_ip(meta, trusted_proxies=1) == "10.0.0.1"
    assert client_ip({"REMOTE_ADDR": "10.0.0.1"}, trusted_proxies=1) == "10.0.0.1"
    assert client_ip({}, trusted_proxies=0) is None


def test_ipv6_addresses_are_kept_in_their_canonical_form():
    assert client_ip({"REMOTE_ADDR": "2001:DB8:0:0::1"}, trusted_proxies=0) == "2001:db8::1"


def test_the_user_agent_is_cut_short_and_a_malformed_request_id_is_dropped():
    context = request_context(
        {"REMOTE_ADDR": "10.0.0.1", "HTTP_USER_AGENT": "x" * 1000, "HTTP_X_REQUEST_ID": "bad id; drop"},
        trusted_proxies=0,
    )
    assert len(context.user_agent) == 300 and context.request_id == ""
    assert request_context({"HTTP_X_REQUEST_ID": "req-42.a"}, trusted_proxies=0).request_id == "req-42.a"


def test_access_changes_list_only_what_differs_with_before_and_after():
    before = {"is_staff": False, "is_active": True, "groups": ["agent"]}
    after = {"is_staff": True, "is_active": True, "groups": ["agent", "manager"]}
    assert access_changes(before, after) == {
        "is_staff": {"before": False, "after": True},
        "groups": {"before": ["agent"], "after": ["agent", "manager"]},
    }
    assert access_changes(after, after) == {}
    assert access_changes({}, {"is_active": True}) == {"is_active": {"before": None, "after": True}}
