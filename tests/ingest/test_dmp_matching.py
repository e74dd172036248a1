"""A planned dataset is matched when ingestion records the dataset that fulfils it (catalogue.dmp.receivers)."""

from catalogue.models import Document, DocumentKind, Facility
from catalogue.services import dmp


def test_ingested_dataset_is_matched_with_the_plan_that_names_its_instrument(ingest):
    # The session proposal ingestion will file PSI's DMC sample under, planned before the beamtime.
    proposal = Document.objects.create(
        pid="psi.sinq/session/dmc/2005-05-27",
        kind=DocumentKind.SESSION,
        title="DMC session 2005-05-27",
        facility=Facility.objects.get(short_name="SINQ"),
    )
    plan = {
        "dmp": {
            "title": "DMC beamtime plan",
            "dmp_id": {"identifier": "https://example.org/dmp/dmc", "type": "url"},
            "created": "2005-01-10T09:00:00Z",
            "modified": "2005-01-10T09:00:00Z",
            "language": "eng",
            "ethical_issues_exist": "no",
            "contact": {"name": "P", "mbox": "p@example.org", "contact_id": {"identifier": "p", "type": "other"}},
            "dataset": [
                {
                    "title": title,
                    "dataset_id": {"identifier": f"plan-{n}", "type": "other"},
                    "personal_data": "no",
                    "sensitive_data": "no",
                    "technical_resource": [{"name": instrument}],
                }
                for n, (title, instrument) in enumerate([("Powder on HRPT", "HRPT"), ("Powder diffraction", "DMC")])
            ],
        }
    }
    dmp.import_plan(document=proposal, data=plan)
    assert not proposal.datasets.exists()

    dataset = ingest("exampledata/PSI_SINQ_DMC_dmc01.h5").dataset
    assert dataset.proposal == proposal
    assert list(dataset.planned_as.values_list("title", flat=True)) == ["Powder diffraction"]
    report = dmp.plan_versus_reality(document=proposal)
    assert [(row.title, row.produced.count) for row in report.rows] == [
        ("Powder on HRPT", 0),
        ("Powder diffraction", 1),
    ]
    assert report.rows[1].produced.byte_size == dataset.size > 0
