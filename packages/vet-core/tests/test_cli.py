import pytest

from vet_core.cli import main


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "db" in out
    assert "embedded" in out


def test_db_upgrade_and_current_against_a_given_url(fresh_database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", fresh_database_url.render_as_string(hide_password=False))
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    assert "(head)" in capsys.readouterr().out


def test_errors_are_reported_with_their_code(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "mysql://u@h/d")
    assert main(["db", "current"]) == 1
    assert "DATABASE_CONFIG_ERROR" in capsys.readouterr().err
