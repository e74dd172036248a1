"""The federation self-test passes against our own endpoint over real HTTP, and reports failures by name."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalogue.panosc.fixture import load_reference_fixture
from catalogue.panosc.selftest import run
from tests.catalogue.panosc.conftest import FIXTURE, rebuild_index


def test_selftest_passes_against_our_live_endpoint(transactional_db, live_server, capsys):
    load_reference_fixture(path=FIXTURE)
    rebuild_index()
    call_command("panosc_selftest", base_url=f"{live_server.url}/panosc-api")
    output = capsys.readouterr().out
    assert "FAIL" not in output
    assert "all 11 checks passed" in output


def test_selftest_names_what_fails_on_an_endpoint_that_is_not_panosc(transactional_db, live_server):
    outcomes = run(base_url=f"{live_server.url}/api/v1")
    assert not any(outcome.passed for outcome in outcomes if outcome.name.startswith("E1 "))
    with pytest.raises(CommandError):
        call_command("panosc_selftest", base_url=f"{live_server.url}/nothing-here")
