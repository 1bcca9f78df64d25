from pathlib import Path

import pytest

from syndicate.config import ConfigError, load_config
from tests.conftest import REPO, write_config


def test_bundled_config_is_valid_and_resolves_paths_next_to_it():
    config = load_config(REPO / "config.toml")
    assert config.site.language == "id"
    assert config.path("inbox") == REPO / "articles"
    assert config.db_path == REPO / "state" / "syndicate.db"
    assert config.digest.from_ == "Kabar Syndicate <digest@news.example.org>"


def test_missing_file_says_what_to_do(tmp_path: Path):
    with pytest.raises(ConfigError, match="config file not found; pass --config"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("extra", "key", "why"),
    [
        ("[site]\nbase_url = 'news.example.org'\n", "site.base_url", "absolute"),
        ("[site]\ntimezone = 'Mars/Olympus'\n", "site.timezone", "unknown IANA time zone"),
        ("[feed]\nentries = 0\n", "feed.entries", "greater than or equal to 1"),
        ("[feed]\nentires = 5\n", "feed.entires", "unknown key"),
        ("[feed]\nentries = '5'\n", "feed.entries", "valid integer, got '5'"),
        ("[feed]\nentries = true\n", "feed.entries", "valid integer, got True"),
        ("[server]\naccess_log = 'yes'\n", "server.access_log", "valid boolean"),
        ("[paths]\ninbox = 3\n", "paths.inbox", "a path (a string), got 3"),
        ("[digest]\nsubscribers = ['a@example.org', 'nope']\n", "digest.subscribers[1]", "nope"),
        ("[schedule]\ndigest = '0 7 * * 8'\n", "schedule.digest", "day of week '8'"),
        ("[schedule]\ndigest = '0 25 * * *'\n", "schedule.digest", "cron"),
        ("[digest]\nfrom = 'not an address'\n", "digest.from", "address"),
        ("[digest]\nsubject = '{nope}'\n", "digest.subject", "placeholder"),
        ("[delivery]\nmethod = 'pigeon'\n", "delivery.method", "maildir"),
        ("[server]\nallowed_hosts = ['https://x.org/']\n", "server.allowed_hosts[0]", "host name"),
        ("[server]\ntrusted_proxies = ['nginx']\n", "server.trusted_proxies[0]", "IP address"),
        ("[server]\nconnections_per_client = 0\n", "server.connections_per_client", "1"),
        (
            "[server]\nsubscribe_per_hour = 3\nsubscribe_per_client_hour = 5\n",
            "server",
            "larger than subscribe_per_hour",
        ),
    ],
)
def test_invalid_values_name_the_key(tmp_path: Path, extra: str, key: str, why: str):
    path = tmp_path / "config.toml"
    # Replace whole sections so duplicate-table errors don't mask the one under test.
    path.write_text(extra, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert f"  {key}: " in message
    assert why in message
    assert str(path) in message


def test_toml_syntax_error_is_reported_with_file(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text("[site\ntitle = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_from_address_is_normalised(tmp_path: Path):
    path = write_config(tmp_path, "")
    config = load_config(path)
    assert config.digest.subscribers == ["Reader One <one@example.org>"]
    assert config.site.domain == "news.example.org"
    assert config.site.base_url.endswith("/")


def test_server_hosts_and_proxies_are_normalised(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(
        "[server]\nallowed_hosts = ['News.Example.ORG.', '[::1]:8080', 'bücher.de:8443']\n"
        "trusted_proxies = ['127.0.0.1', '10.1.2.3/8', '::1']\n",
        encoding="utf-8",
    )
    server = load_config(path).server
    assert server.allowed_hosts == ["news.example.org", "[::1]:8080", "xn--bcher-kva.de:8443"]
    assert server.trusted_proxies == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert (server.subscribe_per_client_hour, server.subscribe_per_hour) == (5, 100)


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(
        "[site]\nbase_url = 'x'\ntimezone = 'Mars/Olympus'\n[feed]\nentries = 0\n", "utf-8"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "3 problem(s)" in message
    for key in ("site.base_url", "site.timezone", "feed.entries"):
        assert f"\n  {key}: " in message


def test_a_changed_copy_is_checked_and_normalised_as_the_file_would_be(tmp_path: Path):
    # pydantic's own model_copy(update=…) checks nothing: Section's checks the copy again.
    from pydantic import ValidationError

    config = load_config(write_config(tmp_path, ""))
    site = config.site.model_copy(update={"base_url": "https://news.example.net"})
    assert site.base_url == "https://news.example.net/"
    with pytest.raises(ValidationError, match="absolute"):
        config.site.model_copy(update={"base_url": "news.example.net"})
    with pytest.raises(ValidationError, match="frozen"):
        config.site.title = "Changed"  # type: ignore[misc]
