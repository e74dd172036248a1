"""deploy/k8s/ validates against the Kubernetes schemas offline and runs the processes compose.yaml runs."""

from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.conf import settings

from catalogue.services import facilities
from tests.deploy.test_recipe import compose_services, env_names_read_by_settings

K8S = Path(settings.BASE_DIR) / "deploy" / "k8s"
# The oldest Kubernetes release the manifests promise to run on, and the newest the validator knows.
KUBERNETES_VERSIONS = ["1.30", kubernetes_validate.latest_version()]


def kustomization() -> dict:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


def manifests() -> list[dict]:
    return [
        document
        for name in kustomization()["resources"]
        for document in yaml.safe_load_all((K8S / name).read_text())
        if document
    ]


def containers(kind: str | None = None) -> dict[str, dict]:
    """Every container of the workloads, by its workload's name."""
    found = {}
    for manifest in manifests():
        if manifest["kind"] in ("Deployment", "Job") and kind in (None, manifest["kind"]):
            (container,) = manifest["spec"]["template"]["spec"]["containers"]
            found[manifest["metadata"]["name"]] = container
    return found


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_validates_against_the_kubernetes_schemas(version):
    checked = [manifest["kind"] for manifest in manifests()]
    for manifest in manifests():
        kubernetes_validate.validate(manifest, version, strict=True)
    assert {"Deployment", "Job", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= set(checked)


def test_every_file_is_in_the_kustomization_and_every_reference_exists():
    listed = set(kustomization()["resources"])
    generated = {item["name"] for item in kustomization()["configMapGenerator"]}
    on_disk = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml", "facilities.yaml"}
    assert listed == on_disk
    names = {(manifest["kind"], manifest["metadata"]["name"]) for manifest in manifests()}
    for workload in manifests():
        if workload["kind"] not in ("Deployment", "Job"):
            continue
        pod = workload["spec"]["template"]["spec"]
        for source in pod["containers"][0]["envFrom"]:
            kind, reference = (
                ("ConfigMap", source["configMapRef"]) if "configMapRef" in source else ("Secret", source["secretRef"])
            )
            assert (kind, reference["name"]) in names
        for volume in pod.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in names
            if "configMap" in volume:
                assert volume["configMap"]["name"] in generated
    for autoscaler in (m for m in manifests() if m["kind"] == "HorizontalPodAutoscaler"):
        assert ("Deployment", autoscaler["spec"]["scaleTargetRef"]["name"]) in names


def test_the_manifests_run_the_commands_of_compose():
    compose = compose_services()
    k8s = containers()
    assert k8s["pancommons-web"]["command"] == compose["web"]["command"]
    assert k8s["pancommons-beat"]["command"] == compose["beat"]["command"]
    assert k8s["pancommons-migrate"]["command"] == compose["migrate"]["command"]
    # The workers: tests/deploy/test_processes.py.


def test_probes_requests_and_one_beat():
    for name, container in containers("Deployment").items():
        assert container["resources"]["requests"], name
    web = containers()["pancommons-web"]
    assert web["readinessProbe"]["httpGet"]["path"] == "/healthz" == web["livenessProbe"]["httpGet"]["path"]
    beat = next(m for m in manifests() if m["metadata"]["name"] == "pancommons-beat")
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"


def test_every_configured_name_is_a_setting():
    configured = set()
    for manifest in manifests():
        if manifest["kind"] in ("ConfigMap", "Secret"):
            configured |= set(manifest.get("data", {})) | set(manifest.get("stringData", {}))
    for container in containers().values():
        configured |= {variable["name"] for variable in container.get("env", [])}
    unknown = configured - env_names_read_by_settings()
    assert not unknown, f"names settings.py never reads: {sorted(unknown)}"


@pytest.mark.django_db
def test_the_facility_registry_of_the_migrate_job_loads():
    loaded = facilities.load_registry(path=K8S / "facilities.yaml")
    assert [facility.short_name for facility in loaded] == ["EXAMPLE"]
