"""F-UJI, an independent FAIR judge, on our landing pages (issue 21 "Against an independent judge", issue 27).

    .venv/bin/python benchmarks/fair.py --fuji /work/tools/fuji [--port 8199] [--keep]
    .venv/bin/python benchmarks/fair.py --fuji DIR --server http://127.0.0.1:8107 --catalogue graded.json

Prints, for ten datasets of graded completeness (benchmarks/fair_catalogue.py), F-UJI's score of each DOI page and
dataset page beside our own FAIR score (catalogue.services.fair), the rank agreement of the two (Spearman's rho,
Kendall's tau-b, the discordant pairs), and every metric that is not full with F-UJI's own reasons. Targets: 100 % on
a complete DOI page and a complete dataset page (issue 27); F-UJI ≥ 90 % on a complete dataset, and the two scores
ranking the ten datasets the same way, no discordant pair (issue 21).

What runs, all on this machine; nothing is fetched:
1. Unless --server is given: a database of its own (DATABASE_URL's name + "_fair", dropped and made anew), migrated
   and filled by fair_catalogue.py, and `manage.py runserver` on --port with SITE_URL pointing at it.
2. A stand-in for doi.org: an HTTP proxy on 127.0.0.1. F-UJI reaches the world only through it (its `http_proxy` and
   `https_proxy`, with `no_proxy` for 127.0.0.1): for doi.org it answers as doi.org does, a 302 from each registered
   DOI to its landing page here (draft DOIs get doi.org's 404) and the registration agency at /ra/<prefix>, over
   TLS with a certificate made for the run (F-UJI does not verify certificates; `requests` is given it as its CA
   bundle). It also serves schema.org's JSON-LD context from ../shared/standards (F-UJI's rdflib resolves
   "@context": "https://schema.org" remotely; without it no JSON-LD is read at all). Every other host is refused and
   listed at the end, so the run is offline except PID resolution.
3. F-UJI's own server (`python -m fuji_server`) from its virtualenv under --fuji (installed outside this repository,
   see README "FAIR judges"), with its own configuration (debug_mode: no downloads of its reference lists), asked
   through its REST API with metrics v0.8.
"""

import argparse
import configparser
import contextlib
import datetime
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parent.parent
DOI_HOSTS = ("doi.org", "dx.doi.org", "www.doi.org")
SCHEMA_ORG_HOSTS = ("schema.org", "www.schema.org")
# What "@context": "https://schema.org" resolves to, from ../shared (as our tests read it).
SCHEMA_ORG_CONTEXT = (
    Path(os.environ.get("NEXUS_SAMPLES_DIR", ROOT.parent / "shared" / "nexus-samples")).parent
    / "standards"
    / "schemaorg-context"
    / "schemaorgcontext.jsonld"
)
FUJI_USER = ("marvel", "wonderwoman")  # F-UJI's default account (fuji_server/config/users.py)
METRICS = "metrics_v0.8"
# F-UJI logs every content-negotiation probe a page answers with 406 (e.g. application/xml): not a reason.
NEGOTIATION_NOISE = ("Request failed, status code", "No response received from")


# --- the doi.org stand-in ---------------------------------------------------------------------------------------


@dataclass
class Resolver:
    """What doi.org knows in this run: registered DOIs → landing pages; and what else F-UJI tried to reach."""

    landing_pages: dict[str, str]  # DOI (upper case) → landing page URL
    prefixes: set[str]
    refused: dict[str, int] = field(default_factory=dict)
    resolved: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse(self, host: str) -> None:
        with self.lock:
            self.refused[host] = self.refused.get(host, 0) + 1


class _Answers(BaseHTTPRequestHandler):
    """doi.org's answers (/ra/<prefix> and /<doi>) and schema.org's JSON-LD context, by host."""

    resolver: Resolver
    host = ""  # set on the handler made for a TLS tunnel; a plain proxy request names its host in the URL
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet: the report lists what matters
        pass

    def do_GET(self) -> None:
        self._route()

    def do_HEAD(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def _route(self) -> None:
        url = urlsplit(self.path)
        host = (url.hostname or self.host).lower()
        if host in DOI_HOSTS:
            return self._doi_org(url.path)
        if host in SCHEMA_ORG_HOSTS:
            return self._send(200, SCHEMA_ORG_CONTEXT.read_bytes(), "application/ld+json")
        self.resolver.refuse(host or "(no host)")
        self._send(403, b"offline: only doi.org and schema.org's context are reachable in this run\n", "text/plain")

    def _doi_org(self, path: str) -> None:
        name = unquote(path).lstrip("/")
        if name.startswith("ra/"):
            prefix = name.removeprefix("ra/")
            known = prefix in self.resolver.prefixes
            body = [{"DOI": prefix, "RA": "DataCite"} if known else {"DOI": prefix, "status": "Invalid DOI"}]
            return self._send(200, json.dumps(body).encode(), "application/json")
        target = self.resolver.landing_pages.get(name.upper())
        if target is None:
            return self._send(404, b"DOI Not Found\n", "text/plain")
        with self.resolver.lock:
            self.resolver.resolved += 1
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, body: bytes, media_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Proxy(_Answers):
    """The proxy F-UJI goes through: plain HTTP in absolute form, or HTTPS through CONNECT and TLS made here."""

    tls: ssl.SSLContext

    def do_CONNECT(self) -> None:
        host = self.path.rsplit(":", 1)[0].lower()
        if host not in (*DOI_HOSTS, *SCHEMA_ORG_HOSTS):
            self.resolver.refuse(host)
            return self._send(403, b"offline: only doi.org and schema.org's context are reachable\n", "text/plain")
        self.send_response(200, "Connection established")
        self.end_headers()
        try:
            tunnel = self.tls.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            self.close_connection = True
            return
        handler = type("Tunnelled", (_Answers,), {"resolver": self.resolver, "host": host})
        with contextlib.suppress(OSError, ssl.SSLError):
            handler(tunnel, self.client_address, self.server)
        self.close_connection = True


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for doi.org, made for this run (also the CA bundle `requests` is given)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "doi.org stand-in")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    *(x509.DNSName(host) for host in (*DOI_HOSTS, *SCHEMA_ORG_HOSTS)),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "doi-org.pem", folder / "doi-org.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def start_stand_in(resolver: Resolver, folder: Path) -> tuple[ThreadingHTTPServer, Path]:
    cert_path, key_path = certificate(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    handler = type("Proxy", (_Proxy,), {"resolver": resolver, "tls": context})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, cert_path


# --- our server and catalogue -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, *, seconds: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"{process.args!r} exited with {process.returncode} before answering at {url}")
        with contextlib.suppress(requests.RequestException):
            requests.get(url, timeout=2)
            return
        time.sleep(0.5)
    raise SystemExit(f"nothing answered at {url} within {seconds:.0f} s")


def benchmark_database(database_url: str) -> str:
    """DATABASE_URL's database with "_fair" appended, dropped and created anew (it is the benchmark's own)."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/") + "_fair"
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path=f"/{name}").geturl()


def child_environment(database_url: str, site_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "REDIS_"))}
    # Tasks the catalogue queues go to the benchmark's own database (PostgreSQL broker), dropped with it.
    env |= {"DATABASE_URL": database_url, "SITE_URL": site_url, "DEBUG": "true", "REDIS_URL": ""}
    return env


def build_catalogue(env: dict[str, str]) -> list[dict]:
    for command in (["manage.py", "migrate", "--noinput"], ["benchmarks/fair_catalogue.py"]):
        done = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)["datasets"]


@contextlib.contextmanager
def running(command: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> Iterator[subprocess.Popen]:
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


# --- F-UJI --------------------------------------------------------------------------------------------------------


def fuji_configuration(fuji_python: Path, folder: Path, port: int) -> Path:
    """F-UJI's shipped server.ini with our port; debug_mode keeps it from downloading its reference lists. Mends
    F-UJI's DOI prefix list in its installed package (blank lines, see below)."""
    package = (
        subprocess.run(
            [str(fuji_python), "-c", "import fuji_server, os; print(os.path.dirname(fuji_server.__file__))"],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )  # importing it prints a version notice first
    # F-UJI appends a DOI prefix it learns to this file after a blank line, and its next start fails reading that
    # line ("not enough values to unpack"): drop blank lines, as docs/fair-judges.md tells a manual run to.
    prefixes = Path(package) / "data" / "doi_prefixes.tsv"
    if prefixes.exists():
        lines = prefixes.read_text().splitlines()
        if "" in lines:
            prefixes.write_text("".join(line + "\n" for line in lines if line))
    config = configparser.ConfigParser()
    config.read(Path(package) / "config" / "server.ini")
    config["SERVICE"]["service_host"] = "127.0.0.1"
    config["SERVICE"]["service_port"] = str(port)
    config["SERVICE"]["debug_mode"] = "true"
    config["SERVICE"]["rate_limit"] = "1000 per minute"
    path = folder / "server.ini"
    with path.open("w") as handle:
        config.write(handle)
    return path


def fuji_environment(proxy: str, ca_bundle: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
    env |= {
        "http_proxy": proxy,
        "https_proxy": proxy,
        "HTTP_PROXY": proxy,
        "HTTPS_PROXY": proxy,
        "no_proxy": "127.0.0.1,localhost",
        "NO_PROXY": "127.0.0.1,localhost",
        "REQUESTS_CA_BUNDLE": str(ca_bundle),
        "SSL_CERT_FILE": str(ca_bundle),
    }
    return env


@dataclass(frozen=True)
class MetricResult:
    identifier: str
    name: str
    earned: float
    total: float
    reasons: list[str]

    @property
    def full(self) -> bool:
        return self.earned >= self.total


@dataclass(frozen=True)
class Judgement:
    percent: float
    metrics: list[MetricResult]


def evaluate(fuji_url: str, identifier: str) -> Judgement:
    session = requests.Session()
    session.trust_env = False  # F-UJI is on 127.0.0.1; the proxy is for F-UJI, not for us
    response = session.post(
        f"{fuji_url}/fuji/api/v1/evaluate",
        json={
            "object_identifier": identifier,
            "test_debug": True,
            "metadata_service_endpoint": "",
            "metadata_service_type": "oai_pmh",
            "use_datacite": True,
            "use_github": False,
            "metric_version": METRICS,
        },
        auth=FUJI_USER,
        timeout=600,
    )
    response.raise_for_status()
    data = response.json()
    metrics = []
    for result in data["results"]:
        score = result.get("score", {})
        failed = [
            f"failed test {test_id}: {test.get('metric_test_name', '')}"
            for test_id, test in (result.get("metric_tests") or {}).items()
            if test.get("metric_test_status") != "pass" and test.get("metric_test_score", {}).get("total", 1)
        ]
        warnings = [line for line in result.get("test_debug") or [] if line.startswith(("WARNING", "ERROR"))]
        probes = [line for line in warnings if any(noise in line for noise in NEGOTIATION_NOISE)]
        reasons = failed + [line for line in dict.fromkeys(warnings) if line not in probes]
        if probes:
            reasons.append(f"(and {len(probes)} lines about formats F-UJI asked for and the page does not serve)")
        metrics.append(
            MetricResult(
                identifier=result["metric_identifier"],
                name=result.get("metric_name", ""),
                earned=float(score.get("earned", 0)),
                total=float(score.get("total", 0)),
                reasons=reasons,
            )
        )
    earned = sum(metric.earned for metric in metrics)
    total = sum(metric.total for metric in metrics)
    return Judgement(percent=100 * earned / total if total else 0.0, metrics=metrics)


# --- ours --------------------------------------------------------------------------------------------------------


def rank_agreement(first: list[float], second: list[float]) -> float:
    """Spearman's rank correlation of two scorings of the same datasets (ties share their mean rank)."""

    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda index: values[index])
        result = [0.0] * len(values)
        position = 0
        while position < len(order):
            end = position
            while end + 1 < len(order) and values[order[end + 1]] == values[order[position]]:
                end += 1
            for index in order[position : end + 1]:
                result[index] = (position + end) / 2 + 1
            position = end + 1
        return result

    a, b = ranks(first), ranks(second)
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    covariance = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b, strict=True))
    spread = (sum((x - mean_a) ** 2 for x in a) * sum((y - mean_b) ** 2 for y in b)) ** 0.5
    return covariance / spread if spread else 1.0


def kendall(first: list[float], second: list[float]) -> tuple[float, list[tuple[int, int]]]:
    """Kendall's tau-b of two scorings (ties allowed in either) and the discordant pairs (index pairs ranked in
    opposite orders; a pair tied in one scoring is not discordant)."""
    concordant = discordant_count = tied_first = tied_second = 0
    discordant: list[tuple[int, int]] = []
    for i in range(len(first)):
        for j in range(i + 1, len(first)):
            sign = (first[i] - first[j]) * (second[i] - second[j])
            if sign > 0:
                concordant += 1
            elif sign < 0:
                discordant_count += 1
                discordant.append((i, j))
            else:
                tied_first += first[i] == first[j] and second[i] != second[j]
                tied_second += second[i] == second[j] and first[i] != first[j]
    pairs = concordant + discordant_count
    spread = ((pairs + tied_first) * (pairs + tied_second)) ** 0.5
    return ((concordant - discordant_count) / spread if spread else 1.0), discordant


# --- the run -----------------------------------------------------------------------------------------------------


def report(graded: list[dict], judged: dict[tuple[str, str], Judgement], resolver: Resolver) -> None:
    """F-UJI's score of each page beside ours (catalogue.services.fair, computed when the catalogue was built)."""
    print(f"\nF-UJI {METRICS}, offline except PID resolution (doi.org stand-in: {resolver.resolved} DOIs resolved)")
    print(f"{'grade':30} {'DOI page: F-UJI':>16} {'ours':>6} {'dataset page: F-UJI':>20} {'ours':>6}")
    for item in graded:
        doi, page = judged[(item["dataset_pid"], "doi")], judged[(item["dataset_pid"], "dataset")]
        print(
            f"{item['grade']:30} {doi.percent:15.1f}% {item['ours_document']:5.1f}% "
            f"{page.percent:19.1f}% {item['ours_dataset']:5.1f}%"
        )
    if len(graded) > 1:
        for kind, ours in (("DOI", "ours_document"), ("dataset", "ours_dataset")):
            fuji = [judged[(item["dataset_pid"], kind.lower())].percent for item in graded]
            mine = [item[ours] for item in graded]
            tau, discordant = kendall(fuji, mine)
            print(
                f"rank agreement of F-UJI and ours on {kind} pages: Spearman's rho {rank_agreement(fuji, mine):.2f}, "
                f"Kendall's tau-b {tau:.2f}, {len(discordant)} discordant pairs"
            )
            for i, j in discordant:
                print(f"    discordant: {graded[i]['grade']} / {graded[j]['grade']}")
    print("\nMetrics not full, with F-UJI's reasons:")
    for item in graded:
        for kind in ("doi", "dataset"):
            missing = [metric for metric in judged[(item["dataset_pid"], kind)].metrics if not metric.full]
            for metric in missing:
                print(f"- {item['grade']} / {kind} page: {metric.identifier} {metric.earned:g}/{metric.total:g}")
                for reason in metric.reasons:
                    print(f"    {reason}")
    if resolver.refused:
        refused = ", ".join(f"{host} ({count})" for host, count in sorted(resolver.refused.items()))
        print(f"\nHosts F-UJI tried to reach and was refused (offline): {refused}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fuji", type=Path, required=True, help="F-UJI's folder, with its virtualenv in venv/")
    parser.add_argument("--server", help="a running server of ours (then give --catalogue)")
    parser.add_argument("--catalogue", type=Path, help="fair_catalogue.py's JSON of that server's catalogue")
    parser.add_argument("--port", type=int, default=0, help="for our server (default: a free one)")
    parser.add_argument("--only", help="judge only the grades whose name contains this")
    parser.add_argument("--keep", action="store_true", help="keep the logs (the database stays until the next run)")
    args = parser.parse_args()
    fuji_python = args.fuji / "venv" / "bin" / "python"
    if not fuji_python.exists():
        raise SystemExit(f"no F-UJI virtualenv at {fuji_python}: see README, FAIR judges")
    work = Path(tempfile.mkdtemp(prefix="fair-judges-"))
    with contextlib.ExitStack() as stack:
        if args.server:
            if not args.catalogue:
                raise SystemExit("--server needs --catalogue (the JSON fair_catalogue.py printed for it)")
            site = args.server.rstrip("/")
            graded = json.loads(args.catalogue.read_text())["datasets"]
        else:
            port = args.port or free_port()
            site = f"http://127.0.0.1:{port}"
            database_url = benchmark_database(
                os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1/pancommons")
            )
            env = child_environment(database_url, site)
            started = time.perf_counter()
            graded = build_catalogue(env)
            print(f"catalogue of {len(graded)} graded datasets built in {time.perf_counter() - started:.0f} s")
            command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
            server = stack.enter_context(running(command, env=env, cwd=ROOT, log=work / "server.log"))
            wait_for(f"{site}/healthz", seconds=60, process=server)
        if args.only:
            graded = [item for item in graded if args.only in item["grade"]]
        resolver = Resolver(
            landing_pages={item["doi"].upper(): f"{site}/doi/{item['doi']}" for item in graded if item["doi_resolves"]},
            prefixes={item["doi"].split("/", 1)[0] for item in graded},
        )
        proxy, ca_bundle = start_stand_in(resolver, work)
        stack.callback(proxy.shutdown)
        fuji_port = free_port()
        config = fuji_configuration(fuji_python, work, fuji_port)
        fuji_env = fuji_environment(f"http://127.0.0.1:{proxy.server_address[1]}", ca_bundle)
        fuji = stack.enter_context(
            running(
                [str(fuji_python), "-m", "fuji_server", "-c", str(config)],
                env=fuji_env,
                cwd=work,
                log=work / "fuji.log",
            )
        )
        fuji_url = f"http://127.0.0.1:{fuji_port}"
        wait_for(f"{fuji_url}/fuji/api/v1/ui/", seconds=120, process=fuji)
        judged: dict[tuple[str, str], Judgement] = {}
        for item in graded:
            for kind, identifier in (
                ("doi", f"https://doi.org/{item['doi']}" if item["doi_resolves"] else f"{site}/doi/{item['doi']}"),
                ("dataset", f"{site}/datasets/{item['dataset_pid']}"),
            ):
                started = time.perf_counter()
                judged[(item["dataset_pid"], kind)] = evaluate(fuji_url, identifier)
                seconds = time.perf_counter() - started
                print(f"  judged {item['grade']} / {kind} page in {seconds:.0f} s", file=sys.stderr)
        report(graded, judged, resolver)
    if args.keep:
        print(f"\nlogs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
