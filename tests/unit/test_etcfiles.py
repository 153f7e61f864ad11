"""Pure /etc editors: they change only the lines osconf owns."""

from osconf import etcfiles


def test_hosts_replaces_the_debian_line_and_keeps_the_rest() -> None:
    old = (
        "127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n::1 localhost ip6-localhost\n"
        "# admin\n10.0.0.9 db\n"
    )
    new = etcfiles.hosts(old, "iZ1", "10.171.254.123")
    assert new == (
        "127.0.0.1\tlocalhost\n10.171.254.123\tiZ1\t# osconf\n::1 localhost ip6-localhost\n"
        "# admin\n10.0.0.9 db\n"
    )
    # Applying again (new name, new address) replaces only osconf's own line.
    again = etcfiles.hosts(new, "iZ2", "10.171.254.124")
    assert again == new.replace("10.171.254.123\tiZ1", "10.171.254.124\tiZ2")


def test_hosts_without_address_and_with_fqdn() -> None:
    new = etcfiles.hosts("127.0.0.1 localhost\n", "web.example.com", None)
    assert new == "127.0.0.1 localhost\n127.0.1.1\tweb.example.com web\t# osconf\n"


def test_hosts_from_nothing_keeps_localhost_resolvable() -> None:
    assert etcfiles.hosts(None, "h", None) == (
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\th\t# osconf\n"
    )
    # An empty file is the administrator's choice: only osconf's line is added.
    assert etcfiles.hosts("", "h", None) == "127.0.1.1\th\t# osconf\n"


def test_shell_variable() -> None:
    old = "NETWORKING=yes\nHOSTNAME=old\n"
    assert etcfiles.set_shell_variable(old, "HOSTNAME", "new") == "NETWORKING=yes\nHOSTNAME=new\n"
    assert etcfiles.set_shell_variable("A=1\n", "B", "x y") == 'A=1\nB="x y"\n'


def test_resolv_conf_keeps_search_and_options() -> None:
    old = "# gen\nsearch a.b\nnameserver 1.1.1.1\nnameserver 2.2.2.2\noptions rotate\n"
    new = etcfiles.resolv_conf(old, ("7.7.7.7", "8.8.8.8"))
    assert new == "# gen\nsearch a.b\nnameserver 7.7.7.7\nnameserver 8.8.8.8\noptions rotate\n"
    assert etcfiles.resolv_conf(None, ("7.7.7.7",)) == "nameserver 7.7.7.7\n"


def test_shadow() -> None:
    old = "root:*:19000:0:99999:7:::\nbob:$6$x$y:19000:0:99999:7:::\n"
    assert etcfiles.shadow_hash(old, "root") == "*"
    assert etcfiles.shadow_hash(old, "nobody") is None
    new = etcfiles.shadow_set_hash(old, "root", "$6$s$h", 20000)
    assert new == "root:$6$s$h:20000:0:99999:7:::\nbob:$6$x$y:19000:0:99999:7:::\n"


def test_only_newline_ends_a_line() -> None:
    # str.splitlines() would break these lines (and drop the \r of CRLF files).
    old = "# a\x0cb \u2028 c\x1c\r\n127.0.0.1 localhost\r\nnameserver 1.1.1.1\r\n"
    assert etcfiles.resolv_conf(old, ("7.7.7.7",)) == (
        "# a\x0cb \u2028 c\x1c\r\n127.0.0.1 localhost\r\nnameserver 7.7.7.7\n"
    )
    shadow = "root:*:1:0:99999:7:::\r\nbin:*:1:0:99999:7:::\x0c\n"
    assert etcfiles.shadow_set_hash(shadow, "root", "$6$x$y", 2) == (
        "root:$6$x$y:2:0:99999:7:::\r\nbin:*:1:0:99999:7:::\x0c\n"
    )


def test_shell_variables_are_statements_not_lines() -> None:
    # Issue 13, item 11: multi-line quoted values broke, and HOSTNAME= inside
    # another variable's value was "replaced".
    from osconf.etcfiles import set_shell_variable

    old = (
        'NETCONFIG_DNS_STATIC_SERVERS="1.1.1.1\n 2.2.2.2"\n'
        'NOTE="see\nHOSTNAME=not-a-variable\n"\n'
        "export\tHOSTNAME=old\n"
    )
    assert set_shell_variable(old, "HOSTNAME", "new") == (
        'NETCONFIG_DNS_STATIC_SERVERS="1.1.1.1\n 2.2.2.2"\n'
        'NOTE="see\nHOSTNAME=not-a-variable\n"\n'
        "HOSTNAME=new\n"
    )
    assert set_shell_variable(old, "NETCONFIG_DNS_STATIC_SERVERS", "7.7.7.7 8.8.8.8") == (
        'NETCONFIG_DNS_STATIC_SERVERS="7.7.7.7 8.8.8.8"\n'
        'NOTE="see\nHOSTNAME=not-a-variable\n"\n'
        "export\tHOSTNAME=old\n"
    )
