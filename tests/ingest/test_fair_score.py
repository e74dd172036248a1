"""Ingesting a sample file gives its dataset and proposal a FAIR score once the transaction commits; a file the
checksum task finds gone rescores its dataset."""

from catalogue.models import DatasetFairScore, DocumentFairScore, FairWorkItem
from catalogue.services import fair
from ingest import services
from tests.factories import DataFileFactory, DatasetFactory


def test_ingesting_a_sample_file_scores_its_dataset(
    ingest, django_capture_on_commit_callbacks, kept_sums_match_a_recount
):
    with django_capture_on_commit_callbacks(execute=True):
        job = ingest("exampledata/PSI_SINQ_DMC_dmc01.h5")
    assert job.state == "succeeded", job.error
    dataset = job.dataset
    row = DatasetFairScore.objects.get(dataset=dataset)
    assert 0 < row.score < 1
    assert row.results["file_format"][0] == 1 and row.results["instrument"][0] == 1
    assert DocumentFairScore.objects.filter(document=dataset.proposal).exists()
    assert FairWorkItem.objects.filter(proposal=dataset.proposal).exists()
    kept_sums_match_a_recount()


def test_a_file_the_checksum_task_finds_gone_rescores_its_dataset(db, tmp_path, django_capture_on_commit_callbacks):
    dataset = DatasetFactory(source_folder=str(tmp_path))
    data_file = DataFileFactory(dataset=dataset, path="big.h5", checksum="", checksum_algorithm="")
    fair.recompute(fair.Changed(datasets=(dataset.pk,)))
    assert DatasetFairScore.objects.get(dataset=dataset).results["retrievable"][0] == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.hash_data_file(data_file_id=data_file.pk)  # big.h5 is not in the folder
    assert DatasetFairScore.objects.get(dataset=dataset).results["retrievable"][0] == 0
