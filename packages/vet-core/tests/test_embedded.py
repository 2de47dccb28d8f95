"""The embedded servers: start in seconds, are reused, stop cleanly, never used when a URL is set."""

import pytest
from redis.connection import parse_url

from vet_core import embedded
from vet_core.embedded import EmbeddedPostgres, EmbeddedRedis
from vet_core.testing import with_redis_db


def test_redis_starts_is_reused_and_stops(tmp_path):
    server = EmbeddedRedis(tmp_path)
    assert not server.status().running
    url = server.start()
    assert url.startswith("unix://")
    first_pid = server.status().pid
    assert server.start() == url  # reused, not restarted
    assert server.status().pid == first_pid
    assert server.stop() is True
    assert not server.status().running
    assert server.stop() is False


def test_postgres_reuses_a_running_server(tmp_path):
    server = EmbeddedPostgres(tmp_path)
    url = server.start()
    try:
        pid = server.status().pid
        assert EmbeddedPostgres(tmp_path).start() == url
        assert server.status().pid == pid
        assert url.startswith("postgresql://postgres@127.0.0.1:")
    finally:
        assert server.stop() is True
    assert not server.status().running


def test_a_given_url_is_used_and_nothing_is_started(tmp_path, monkeypatch):
    monkeypatch.setenv("VET_EMBEDDED_DIR", str(tmp_path / "never"))
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example/vet")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/0")
    assert embedded.database_url() == "postgresql://u@db.example/vet"
    assert embedded.redis_url() == "redis://cache.example:6379/0"
    assert not (tmp_path / "never").exists()


def test_embedded_root_defaults_to_the_project_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("VET_EMBEDDED_DIR", raising=False)
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "uv.lock").write_text("")
    monkeypatch.chdir(project / "sub")
    assert embedded.embedded_root() == project / ".vet"


def test_url_of_a_stopped_server_is_a_clear_error(tmp_path):
    from vet_core.exceptions import EnvironmentException

    with pytest.raises(EnvironmentException, match="not running"):
        EmbeddedRedis(tmp_path).url()
    with pytest.raises(EnvironmentException, match="not running"):
        EmbeddedPostgres(tmp_path).url()


def test_with_redis_db_keeps_urls_that_redis_py_accepts() -> None:
    unix = with_redis_db("unix:///srv/redis.sock?db=0", 7)
    assert unix == "unix:///srv/redis.sock?db=7"
    assert parse_url(unix)["db"] == 7
    assert with_redis_db("redis://127.0.0.1:6379/0", 3) == "redis://127.0.0.1:6379/3"
