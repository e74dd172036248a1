"""The other ways in: the REST endpoint for acquisition systems, the admin actions, the watched folder."""

import os
import shutil
import time

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalogue.models import Dataset, Facility
from ingest import services
from ingest.models import IngestionJob
from tests.conftest import SAMPLES_DIR


@pytest.fixture
def token_client(steward):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=steward).key}")
    return client


@pytest.fixture
def roots(registry, settings):
    """The sample folder as a facility's storage root: the only place the API may ingest from here."""
    settings.INGEST_WATCH_DIRS = []
    settings.DEBUG = False
    Facility.objects.filter(short_name="SINQ").update(storage_root=str(SAMPLES_DIR))


def test_acquisition_system_posts_a_file_and_reads_its_job(
    registry, roots, token_client, django_capture_on_commit_callbacks
):
    path = SAMPLES_DIR / "exampledata/PSI_SINQ_SANS_sans2009n012333.hdf"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = token_client.post("/api/v1/ingest/", {"path": str(path)}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["state"] == "queued" and len(queued) == 1
    job_id = response.json()["id"]
    services.run_job(job_id=job_id)  # what the worker does with the queued message
    job = token_client.get(f"/api/v1/ingest/{job_id}/").json()
    assert job["state"] == "succeeded" and job["outcome"] == "created"
    assert job["dataset"] == Dataset.objects.get().pid
    assert IngestionJob.objects.get(pk=job_id).trigger == "api"


def test_path_outside_the_ingestion_roots_is_refused_with_a_reason(registry, roots, token_client):
    response = token_client.post("/api/v1/ingest/", {"path": "/etc/passwd"}, format="json")
    assert response.status_code == 400
    assert "outside the folders this site ingests from" in str(response.json()["error"])
    assert not IngestionJob.objects.exists()


def test_relative_and_missing_paths_are_bad_requests(registry, roots, token_client):
    assert token_client.post("/api/v1/ingest/", {"path": "scan.nxs"}, format="json").status_code == 400
    response = token_client.post("/api/v1/ingest/", {}, format="json")
    assert response.status_code == 400 and "path" in str(response.json()["error"])


def test_only_stewards_may_queue_or_read_jobs(registry, roots, anonymous_client, member_client):
    for client in (anonymous_client, member_client):
        response = client.post("/api/v1/ingest/", {"path": str(SAMPLES_DIR)}, content_type="application/json")
        assert response.status_code in (401, 403) and "error" in response.json()
        assert client.get("/api/v1/ingest/1/").status_code in (401, 403)


def test_unknown_job_is_a_json_404(registry, token_client):
    response = token_client.get("/api/v1/ingest/999999/")
    assert response.status_code == 404 and "error" in response.json()


def test_admin_retries_a_failed_job_and_reruns_ingestion_of_datasets(
    ingest, steward_client, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "dmc.h5"
    path.write_bytes(b"")
    failed = ingest(path)
    assert failed.state == "failed"
    shutil.copy(SAMPLES_DIR / "exampledata/PSI_SINQ_DMC_dmc01.h5", path)
    assert steward_client.get("/admin/ingest/ingestionjob/").status_code == 200
    with django_capture_on_commit_callbacks(execute=False):
        response = steward_client.post(
            "/admin/ingest/ingestionjob/", {"action": "retry", "_selected_action": [failed.pk]}
        )
    assert response.status_code == 302
    retry = IngestionJob.objects.exclude(pk=failed.pk).get()
    assert services.run_job(job_id=retry.pk).state == "succeeded"

    dataset = Dataset.objects.get()
    assert steward_client.get("/admin/catalogue/dataset/").status_code == 200
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = steward_client.post(
            "/admin/catalogue/dataset/", {"action": "rerun_ingestion", "_selected_action": [dataset.pk]}
        )
    assert response.status_code == 302 and len(queued) == 1
    rerun = IngestionJob.objects.latest("id")
    assert rerun.trigger == "admin" and rerun.path == dataset.source_path
    assert services.run_job(job_id=rerun.pk).outcome == "updated"


def test_a_file_name_that_is_not_utf8_fails_its_own_job_and_the_rest_of_the_folder_is_ingested(registry, tmp_path):
    shutil.copy(SAMPLES_DIR / "exampledata/PSI_SINQ_DMC_dmc01.h5", tmp_path / "good.h5")
    shutil.copy(SAMPLES_DIR / "exampledata/PSI_SINQ_DMC_dmc01.h5", os.fsencode(tmp_path) + b"/d\xfcsen.h5")  # Latin-1
    jobs = {
        os.path.basename(job.path): job
        for job in services.scan_watched_folders(folders=[tmp_path], stable_seconds=0, queue=False)
    }
    assert sorted(jobs) == ["d\\xfcsen.h5", "good.h5"]
    refused = jobs["d\\xfcsen.h5"]
    assert refused.state == IngestionJob.State.FAILED
    assert refused.error.startswith(f"the file's path is not valid UTF-8 ({tmp_path}/d\\xfcsen.h5): rename it")
    assert services.run_job(job_id=jobs["good.h5"].pk).state == IngestionJob.State.SUCCEEDED
    assert services.scan_watched_folders(folders=[tmp_path], stable_seconds=0, queue=False) == []


def test_watched_folder_ingests_stable_new_files_once(registry, tmp_path):
    shutil.copytree(SAMPLES_DIR / "httomo", tmp_path / "httomo", copy_function=shutil.copy)  # fresh mtimes
    shutil.copy(SAMPLES_DIR / "exampledata/PSI_SINQ_DMC_dmc01.h5", tmp_path)
    assert services.scan_watched_folders(folders=[tmp_path], stable_seconds=3600, queue=False) == []
    jobs = services.scan_watched_folders(folders=[tmp_path], stable_seconds=0, queue=False)
    assert sorted(os.path.basename(job.path) for job in jobs) == ["PSI_SINQ_DMC_dmc01.h5", "k11-18014.nxs"]
    assert services.scan_watched_folders(folders=[tmp_path], stable_seconds=0, queue=False) == []
    time.sleep(0.01)
    rewritten = time.time()  # the acquisition rewrote the file after its last job
    os.utime(tmp_path / "PSI_SINQ_DMC_dmc01.h5", (rewritten, rewritten))
    (again,) = services.scan_watched_folders(folders=[tmp_path], stable_seconds=0, queue=False)
    assert again.path.endswith("PSI_SINQ_DMC_dmc01.h5")


def test_watch_command_ingests_inline(registry, tmp_path, capsys):
    shutil.copy(SAMPLES_DIR / "exampledata/PSI_SINQ_DMC_dmc01.h5", tmp_path)
    call_command("watch", str(tmp_path), "--once", "--sync", "--stable-seconds", "0")
    assert "succeeded" in capsys.readouterr().out
    assert Dataset.objects.get().source_folder == str(tmp_path.resolve())


def test_watched_folder_skips_link_targets_already_recorded_as_files(registry, tmp_path):
    shutil.copytree(SAMPLES_DIR / "httomo", tmp_path / "httomo")
    (job,) = services.scan_watched_folders(folders=[tmp_path], stable_seconds=0, queue=False)
    services.run_job(job_id=job.pk)
    for target in (tmp_path / "httomo/k11-18014").iterdir():  # the acquisition touched the data files later
        stamp = time.time()
        os.utime(target, (stamp, stamp))
    assert services.scan_watched_folders(folders=[tmp_path], stable_seconds=0, queue=False) == []


def test_beat_entry_follows_the_watch_setting(db, settings):
    from django_celery_beat.models import PeriodicTask

    from ingest.apps import _schedule_watch

    settings.INGEST_WATCH_DIRS = ["/data/incoming"]
    _schedule_watch()
    entry = PeriodicTask.objects.get(name="ingest: scan watched folders")
    assert entry.task == "ingest.tasks.scan_watched_folders" and entry.interval.every == 60
    settings.INGEST_WATCH_DIRS = []
    _schedule_watch()
    assert not PeriodicTask.objects.filter(name="ingest: scan watched folders").exists()


def test_beat_entry_waits_for_the_beat_tables(db, settings):
    """`migrate catalogue` on a new database runs post_migrate before django_celery_beat has its tables."""
    from django_celery_beat.models import PeriodicTask

    from ingest.apps import _schedule_watch

    settings.INGEST_WATCH_DIRS = ["/data/incoming"]
    table = PeriodicTask._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")  # undone with the test's transaction
    _schedule_watch()
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    assert not PeriodicTask.objects.filter(name="ingest: scan watched folders").exists()


@pytest.mark.parametrize("year", ["9999", "99999999999999999999"])
def test_a_year_beyond_the_calendar_in_the_jobs_date_hierarchy_is_a_bad_lookup(steward_client, year):
    response = steward_client.get("/admin/ingest/ingestionjob/", {"created_at__year": year})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_an_acquisition_account_with_only_the_ingest_permissions_may_queue(
    registry, roots, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    robot = UserFactory(username="acquisition")
    robot.user_permissions.add(*Permission.objects.filter(codename__in=["add_ingestionjob", "view_ingestionjob"]))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=robot).key}")
    path = SAMPLES_DIR / "exampledata/PSI_SINQ_DMC_dmc01.h5"
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/api/v1/ingest/", {"path": str(path)}, format="json")
    assert response.status_code == 202
    assert client.get(f"/api/v1/ingest/{response.json()['id']}/").json()["state"] == "queued"
    assert client.get("/api/v1/datasets/").status_code == 200  # and nothing more than any signed-in user
