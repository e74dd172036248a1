"""Ingesting a sample file gives its dataset and proposal a FAIR score once the transaction commits."""

from catalogue.models import DatasetFairScore, DocumentFairScore


def test_ingesting_a_sample_file_scores_its_dataset(ingest, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = ingest("exampledata/PSI_SINQ_DMC_dmc01.h5")
    assert job.state == "succeeded", job.error
    dataset = job.dataset
    row = DatasetFairScore.objects.get(dataset=dataset)
    assert 0 < row.score < 1
    assert row.results["file_format"][0] == 1 and row.results["instrument"][0] == 1
    assert DocumentFairScore.objects.filter(document=dataset.proposal).exists()
