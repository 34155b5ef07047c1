"""A bounded load client for the full-stack run: threads, one requests.Session per person, on loopback.

Kinds of user (each a thread running until the deadline, every loop bounded in count too):

- customer (submitter): takes the next survey link, GETs it, POSTs an answer to every question the pages
  show (CSRF token from the page), submits on the review page and GETs the thanks page; a submission is
  *accepted* when the submit POST redirects to the thanks page, and recorded with the answers posted.
- agent: signs in with password and TOTP code through the real pages, then opens their queue, its rows
  partial (as htmx reloads it) and the call page of one of their customers, with a pause between rounds.
- manager: signs in the same way, reloads the concern dashboard and its blocks (the charts) partial.

Production settings mark cookies Secure and check CSRF origins as on HTTPS, so the client speaks as a TLS
proxy would to gunicorn: ``X-Forwarded-Proto: https``, an Origin/Referer of ``https://<host>``, and cookies
sent back over the plain loopback connection. With ``forwarded_for`` each customer also comes from an
address of its own (X-Forwarded-For, read by the app behind TRUSTED_PROXY_COUNT=1), as behind a proxy.

Any response outside 2xx/3xx, any exception and any page that is not what the step expects counts as an
error of its endpoint, and the first errors are kept with their status and a snippet.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import re
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from django_otp.oath import totp

from bench.exactly_once import AcceptedSubmission
from bench.load_data import Scenario, Staff

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_QUESTION = re.compile(r'name="question" value="([^"]+)"')
_SUBMIT = re.compile(r'name="action" value="submit"')
MAX_STEPS = 40  # pages of one survey: far more than any survey has
KEPT_ERRORS = 50
BUCKETS_MS = (10, 25, 50, 100, 250, 500, 1000, 2500)


class StepFailed(Exception):
    """The page was not what this step of the flow expects (already recorded as an error)."""


@dataclass
class EndpointStats:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    def summary(self, seconds: float) -> dict:
        ordered = sorted(self.latencies_ms)
        n = len(ordered)

        def pct(p: float) -> float:
            return ordered[min(n - 1, max(0, round(p / 100 * n + 0.5) - 1))] if n else float("nan")

        buckets = [sum(1 for v in ordered if v < b) for b in BUCKETS_MS]
        histogram = [b - a for a, b in itertools.pairwise([0, *buckets])] + [n - (buckets[-1] if buckets else 0)]
        return {
            "requests": n,
            "rps": n / seconds if seconds else 0.0,
            "p50": pct(50),
            "p95": pct(95),
            "p99": pct(99),
            "max": ordered[-1] if n else float("nan"),
            "mean": statistics.fmean(ordered) if n else float("nan"),
            "errors": self.errors,
            "histogram": histogram,
        }


class Recorder:
    """Latencies and errors per endpoint, shared by the threads (one lock; appends are cheap)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.endpoints: dict[str, EndpointStats] = defaultdict(EndpointStats)
        self.error_samples: list[str] = []
        self.error_kinds: dict[str, int] = defaultdict(int)
        self.accepted: list[AcceptedSubmission] = []
        self.sign_ins = 0

    def ok(self, endpoint: str, elapsed_ms: float) -> None:
        with self.lock:
            self.endpoints[endpoint].latencies_ms.append(elapsed_ms)

    def error(self, endpoint: str, elapsed_ms: float | None, what: str) -> None:
        with self.lock:
            stats = self.endpoints[endpoint]
            stats.errors += 1
            if elapsed_ms is not None:
                stats.latencies_ms.append(elapsed_ms)
            self.error_kinds[f"{endpoint}: {what.split(':', 1)[0]}"] += 1
            if len(self.error_samples) < KEPT_ERRORS:
                self.error_samples.append(f"{endpoint}: {what}")

    def summary(self, seconds: float) -> dict[str, dict]:
        with self.lock:
            return {name: stats.summary(seconds) for name, stats in sorted(self.endpoints.items())}


class Client:
    """One person's session against the server, timing every request under an endpoint name."""

    def __init__(self, base_url: str, recorder: Recorder, *, forwarded_for: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc
        self.recorder = recorder
        self.session = requests.Session()
        self.session.headers.update(
            {
                "X-Forwarded-Proto": "https",
                "Origin": f"https://{self.host}",
                "Referer": f"https://{self.host}/",
                "User-Agent": "wallet-followup-load/1",
            }
        )
        if forwarded_for:
            self.session.headers["X-Forwarded-For"] = forwarded_for

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        expect: Callable[[requests.Response], str | None] | None = None,
        **kwargs,
    ) -> requests.Response:
        """The response; StepFailed (recorded) on an exception, a status outside 2xx/3xx, or ``expect``'s
        complaint (a string saying what is wrong with the page)."""
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base_url + path, allow_redirects=False, timeout=30, **kwargs)
        except requests.RequestException as exc:
            self.recorder.error(endpoint, None, f"exception: {type(exc).__name__}: {exc}"[:300])
            raise StepFailed from exc
        elapsed = (time.perf_counter() - started) * 1000
        # Production cookies are Secure; the proxy we play would carry them over the loopback connection.
        for cookie in self.session.cookies:
            cookie.secure = False
        problem = None
        if not 200 <= response.status_code < 400:
            problem = f"HTTP {response.status_code}: {_snippet(response.text)}"
        elif expect is not None:
            complaint = expect(response)
            if complaint:
                problem = f"unexpected: {complaint} (HTTP {response.status_code})"
        if problem:
            self.recorder.error(endpoint, elapsed, problem)
            raise StepFailed(problem)
        self.recorder.ok(endpoint, elapsed)
        return response

    def csrf(self, response: requests.Response) -> str:
        match = _CSRF.search(response.text)
        if match is None:
            self.recorder.error("csrf token", None, "unexpected: no CSRF token on the page")
            raise StepFailed("no CSRF token")
        return html.unescape(match.group(1))


def _snippet(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text or "").split())[:160]


def _redirect_to(fragment: str) -> Callable[[requests.Response], str | None]:
    def expect(response: requests.Response) -> str | None:
        location = response.headers.get("Location", "")
        if response.status_code not in (301, 302, 303) or fragment not in location:
            return f"expected a redirect to …{fragment}…, got {location or 'no redirect'}"
        return None

    return expect


def _location_path(response: requests.Response) -> str:
    location = response.headers["Location"]
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- The customer ------------------------------------------------------------------------------------------


def answer_survey(client: Client, token: str, answers: dict[str, list[str]]) -> AcceptedSubmission | None:
    """Open the link, answer every question shown, submit; the accepted submission, or None on an error."""
    page_path = f"/s/{token}/"
    try:
        page = client.request("survey GET (question)", "GET", page_path)
        posted: dict[str, tuple[str, ...]] = {}
        for _step in range(MAX_STEPS):
            csrf = client.csrf(page)
            if _SUBMIT.search(page.text) and not _QUESTION.search(page.text):
                client.request(
                    "survey POST submit",
                    "POST",
                    page_path,
                    data={"csrfmiddlewaretoken": csrf, "action": "submit"},
                    expect=_redirect_to("/thanks/"),
                )
                client.request("survey GET thanks", "GET", f"{page_path}thanks/")
                return AcceptedSubmission(token=token, answers=posted)
            match = _QUESTION.search(page.text)
            if match is None:
                what = f"unexpected: neither question nor review: {_snippet(page.text)}"
                client.recorder.error("survey GET (question)", None, what)
                return None
            code = html.unescape(match.group(1))
            values = answers.get(code)
            if values is None:
                client.recorder.error("survey POST answer", None, f"unexpected: unknown question {code}")
                return None
            reply = client.request(
                "survey POST answer",
                "POST",
                page_path,
                data={"csrfmiddlewaretoken": csrf, "question": code, "answer": values, "action": "next"},
                expect=_redirect_to(page_path),
            )
            posted[code] = tuple(values)
            next_path = _location_path(reply)
            endpoint = "survey GET (review)" if "review" in next_path else "survey GET (question)"
            page = client.request(endpoint, "GET", next_path)
        client.recorder.error("survey GET (question)", None, f"unexpected: no review page after {MAX_STEPS} steps")
    except StepFailed:
        pass
    return None


# --- Staff --------------------------------------------------------------------------------------------------


def sign_in(client: Client, staff: Staff) -> None:
    """Password, then the authenticator code (the current one; a code is never accepted twice, so a second
    sign-in within the same 30 s step waits for the next)."""
    page = client.request("sign-in GET", "GET", "/accounts/login/")
    client.request(
        "sign-in POST password",
        "POST",
        "/accounts/login/",
        data={"csrfmiddlewaretoken": client.csrf(page), "username": staff.username, "password": staff.password},
        expect=_redirect_to("/"),
    )
    page = client.request("sign-in GET code", "GET", "/accounts/two-factor/")
    code = f"{totp(bytes.fromhex(staff.totp_key)):06d}"
    client.request(
        "sign-in POST code",
        "POST",
        "/accounts/two-factor/",
        data={"csrfmiddlewaretoken": client.csrf(page), "code": code},
        expect=_redirect_to("/"),
    )
    with client.recorder.lock:
        client.recorder.sign_ins += 1


def _not_sign_in(response: requests.Response) -> str | None:
    if response.status_code != 200:
        return f"expected the page, got a redirect to {response.headers.get('Location', '?')}"
    return None


def agent_round(client: Client, staff: Staff, round_number: int) -> None:
    client.request("agent queue", "GET", "/agent/queue/", expect=_not_sign_in)
    client.request("agent queue rows", "GET", "/agent/queue/rows/", headers={"HX-Request": "true"}, expect=_not_sign_in)
    follow_up_id = staff.follow_up_ids[round_number % len(staff.follow_up_ids)]
    client.request("agent call page", "GET", f"/agent/calls/{follow_up_id}/", expect=_not_sign_in)


def manager_round(client: Client, staff: Staff, round_number: int) -> None:
    client.request("manager dashboard", "GET", "/manager/dashboard/", expect=_not_sign_in)
    client.request(
        "manager dashboard blocks",
        "GET",
        "/manager/dashboard/blocks/",
        headers={"HX-Request": "true"},
        expect=_not_sign_in,
    )


# --- Running it ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadPlan:
    submitters: int = 16  # threads, each a customer after another
    agents: int = 8  # threads, one per agent of the scenario (at most as many as it has)
    managers: int = 2
    agent_pause: float = 1.0  # seconds between an agent's rounds (reading the page)
    manager_pause: float = 2.0
    trivial_probe_interval: float = 0.5  # a trivial-view request this often during the load (0: none)
    forwarded_for: bool = True


def _forwarded_address(index: int) -> str:
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


def run_load(base_url: str, scenario: Scenario, *, seconds: float, plan: LoadPlan, recorder: Recorder) -> float:
    """Run every kind of user until ``seconds`` have passed; the measured wall time."""
    deadline = time.monotonic() + seconds
    links: Iterator[tuple[int, str]] = iter(enumerate(scenario.links))
    links_lock = threading.Lock()

    def next_link() -> tuple[int, str] | None:
        with links_lock:
            return next(links, None)

    def customer() -> None:
        for _ in range(len(scenario.links)):
            if time.monotonic() >= deadline:
                return
            item = next_link()
            if item is None:
                return
            index, token = item
            client = Client(base_url, recorder, forwarded_for=_forwarded_address(index) if plan.forwarded_for else None)
            try:
                accepted = answer_survey(client, token, scenario.answers)
            finally:
                client.close()
            if accepted is not None:
                with recorder.lock:
                    recorder.accepted.append(accepted)

    def staff_member(staff: Staff, one_round: Callable, pause: float) -> None:
        client = Client(base_url, recorder)
        signed_in = False
        try:
            for round_number in range(1_000_000):
                if time.monotonic() >= deadline:
                    return
                try:
                    if not signed_in:
                        sign_in(client, staff)
                        signed_in = True
                    one_round(client, staff, round_number)
                except StepFailed:
                    signed_in = False  # start again from the sign-in (a new session)
                    client.close()
                    client = Client(base_url, recorder)
                    time.sleep(min(31.0, max(0.0, deadline - time.monotonic())))  # the next TOTP step
                    continue
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        finally:
            client.close()

    def trivial_probe() -> None:
        client = Client(base_url, recorder)
        try:
            while time.monotonic() < deadline:
                with contextlib.suppress(StepFailed):
                    client.request("trivial view (during the load)", "GET", "/bench/trivial/")
                time.sleep(plan.trivial_probe_interval)
        finally:
            client.close()

    threads = [threading.Thread(target=customer, name=f"customer-{i}") for i in range(plan.submitters)]
    threads += [
        threading.Thread(target=staff_member, args=(s, agent_round, plan.agent_pause), name=s.username)
        for s in scenario.agents[: plan.agents]
    ]
    threads += [
        threading.Thread(target=staff_member, args=(s, manager_round, plan.manager_pause), name=s.username)
        for s in scenario.managers[: plan.managers]
    ]
    if plan.trivial_probe_interval > 0:
        threads.append(threading.Thread(target=trivial_probe, name="trivial-probe"))
    started = time.monotonic()
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic()) + 60)  # a request in flight: 30 s at most
    return time.monotonic() - started


def run_trivial(base_url: str, *, seconds: float, threads: int, recorder: Recorder) -> float:
    """The reference: the trivial view (bench/benchurls.py) as fast as ``threads`` clients can ask."""
    deadline = time.monotonic() + seconds

    def loop() -> None:
        client = Client(base_url, recorder)
        try:
            for _ in range(10_000_000):
                if time.monotonic() >= deadline:
                    return
                with contextlib.suppress(StepFailed):
                    client.request("trivial view (reference)", "GET", "/bench/trivial/")
        finally:
            client.close()

    workers = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + 60)
    return time.monotonic() - started


def measure_reference(base_url: str, *, seconds: float, threads: int) -> dict:
    """The trivial view alone, after a 3 s warm-up (imports, templates, connections in every web worker): the
    reference the load runs quote their figures beside."""
    run_trivial(base_url, seconds=3, threads=threads, recorder=Recorder())
    reference = Recorder()
    elapsed = run_trivial(base_url, seconds=seconds, threads=threads, recorder=reference)
    measured = reference.summary(elapsed)["trivial view (reference)"]
    print(f"trivial view: {measured['rps']:.0f} req/s, p50 {measured['p50']:.1f} ms")
    return measured
