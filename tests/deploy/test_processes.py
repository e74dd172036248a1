"""Every task lands on a queue that each way of running the site consumes, the graph queue on exactly one process,
and compose.yaml and deploy/k8s run the commands `make demo` runs (but for sizes, addresses and logging)."""

from fnmatch import fnmatchcase
from pathlib import Path

from django.conf import settings

from catalogue.management.commands.demo import process_commands
from pancommons.celery import app
from tests.deploy.test_kubernetes import containers, manifests
from tests.deploy.test_recipe import compose_services


def demo_commands() -> dict[str, list[str]]:
    return process_commands(port=8000, bin_dir=Path("/venv/bin"), worker_name="demo-worker@%h")


def essentials(command: list[str]) -> tuple[str, ...]:
    """The program, its entry point and the options that change what it does (not sizes, addresses or logging)."""
    program = Path(command[0]).name
    if program == "gunicorn":
        return program, command[1], "--limit-request-line", command[command.index("--limit-request-line") + 1]
    subcommand = next(word for word in command if word in ("worker", "beat"))
    return program, "-A", command[command.index("-A") + 1], subcommand


def queues(command: list[str]) -> set[str]:
    return set(command[command.index("--queues") + 1].split(","))


def concurrency(command: list[str]) -> int:
    return int(command[command.index("--concurrency") + 1])


def worker_commands() -> dict[str, dict[str, tuple[list[str], int]]]:
    """Each way of running the site (the demo, compose, Kubernetes): its workers' commands and how many copies of
    each runs at most (the demo and compose: one; Kubernetes: the Deployment's replicas or its autoscaler's maximum)."""
    deployments = [manifest for manifest in manifests() if manifest["kind"] == "Deployment"]
    most = {manifest["metadata"]["name"]: manifest["spec"].get("replicas", 1) for manifest in deployments}
    for manifest in manifests():
        if manifest["kind"] == "HorizontalPodAutoscaler":
            most[manifest["spec"]["scaleTargetRef"]["name"]] = manifest["spec"]["maxReplicas"]
    return {
        "demo": {name: (command, 1) for name, command in demo_commands().items() if "worker" in command},
        "compose": {
            name: (service["command"], 1)
            for name, service in compose_services().items()
            if "worker" in service.get("command", [])
        },
        "k8s": {
            name: (container["command"], most[name])
            for name, container in containers("Deployment").items()
            if "worker" in container.get("command", [])
        },
    }


def worker_queues() -> dict[str, set[str]]:
    """The queues consumed by each way of running the site: the demo, compose, and Kubernetes' worker deployments."""
    return {
        deployment: set().union(*(queues(command) for command, _ in workers.values()))
        for deployment, workers in worker_commands().items()
    }


def test_every_task_is_routed_by_name_to_a_queue_every_deployment_consumes():
    app.loader.import_default_modules()
    tasks = sorted(name for name in app.tasks if not name.startswith("celery."))
    assert len(tasks) >= 15 and "ingest.tasks.run_ingestion_job" in tasks
    consumed = worker_queues()
    for name in tasks:
        assert any(fnmatchcase(name, pattern) for pattern in settings.CELERY_TASK_ROUTES), f"{name} has no route"
        queue = app.amqp.router.route({}, name)["queue"].name
        for deployment, names in consumed.items():
            assert queue in names, f"{name} goes to {queue}, which no {deployment} worker consumes"
    assert app.amqp.router.route({}, "ingest.tasks.run_ingestion_job")["queue"].name == "ingest"
    for names in consumed.values():
        assert names == set(settings.CELERY_TASK_QUEUES)


def test_compose_and_the_manifests_run_the_commands_of_make_demo():
    demo = demo_commands()
    compose = compose_services()
    k8s = containers()
    for process in ("web", "worker", "graph-worker", "beat"):
        assert essentials(compose[process]["command"]) == essentials(demo[process]), process
    assert essentials(k8s["pancommons-web"]["command"]) == essentials(demo["web"])
    assert essentials(k8s["pancommons-beat"]["command"]) == essentials(demo["beat"])
    k8s_workers = {name: c["command"] for name, c in k8s.items() if "worker" in c["command"]}
    assert {"pancommons-ingest-worker", "pancommons-graph-worker"} <= set(k8s_workers)
    for name, command in k8s_workers.items():
        assert essentials(command) == essentials(demo["worker"]) == essentials(demo["graph-worker"]), name
    assert queues(k8s["pancommons-graph-worker"]["command"]) == queues(demo["graph-worker"]) == {"graph"}
    # Kubernetes splits the queues over deployments that scale apart: none is consumed twice.
    assert sum(len(queues(command)) for command in k8s_workers.values()) == len(settings.CELERY_TASK_QUEUES)


def test_the_graph_queue_is_consumed_by_exactly_one_process_everywhere():
    for deployment, workers in worker_commands().items():
        graph = {name: (command, copies) for name, (command, copies) in workers.items() if "graph" in queues(command)}
        assert len(graph) == 1, f"{deployment}: {sorted(graph)} consume graph"
        ((command, copies),) = graph.values()
        assert queues(command) == {"graph"} and concurrency(command) == 1 and copies == 1, deployment
