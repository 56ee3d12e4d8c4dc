"""``xinyong``: one command with subcommands, a thin shell over the core.

Each command parses its arguments, calls one function, and prints. Errors the
operator can fix are one line on stderr and exit code 1; wrong usage is exit
code 2 (Click's convention); success is 0.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column, Table

from xinyong import __version__
from xinyong.demo_defaults import DEMO_ENTERPRISES, DEMO_PERSONS
from xinyong.errors import UserError, XinyongError
from xinyong.settings import get_settings

if TYPE_CHECKING:
    # Commands import the pipeline when they run: ``import xinyong.cli`` stays
    # light for every command's start-up and for each worker process spawned
    # under the ``xinyong`` command (spawn re-imports the main module).
    from xinyong import batch_ops, system
    from xinyong.ingest.pipeline import BatchReport

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="xinyong",
    help="xinyong: an open credit information system for persons and enterprises.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
model_app = typer.Typer(help="Scorecard models: train, evaluate.", no_args_is_help=True)
app.add_typer(model_app, name="model")
review_app = typer.Typer(help="The identity-resolution review queue.", no_args_is_help=True)
app.add_typer(review_app, name="review")
key_app = typer.Typer(help="API keys of organisations.", no_args_is_help=True)
app.add_typer(key_app, name="key")
org_app = typer.Typer(help="Inquirers and operators of the service.", no_args_is_help=True)
app.add_typer(org_app, name="org")
furnisher_app = typer.Typer(help="Organisations that submit batches.", no_args_is_help=True)
app.add_typer(furnisher_app, name="furnisher")

out = Console(soft_wrap=True)
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as an error, as it is: an error names its rule in brackets
    (``[format]``), which Rich would take for markup and drop."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the operator's errors into one line and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (UserError, XinyongError) as exc:
            raise fail(str(exc)) from None
        except ValueError as exc:  # settings and argument values
            raise fail(str(exc)) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        out.print(f"xinyong {__version__}")
        raise typer.Exit(0)


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """xinyong: registry, scoring, reporting and public credit information."""


@app.command()
@handles_errors
def init() -> None:
    """Create or upgrade the store, the ledger folder and the hash key."""
    from xinyong import system

    report = system.initialise(get_settings())
    verb = "created" if report.created else "up to date"
    out.print(f"store   {report.store_url} ({verb}, schema {report.revision})")
    out.print(f"ledger  {report.ledger_dir}")


@app.command()
@handles_errors
def status() -> None:
    """Show the store, its schema, row counts, the ledger and the audit chain head."""
    from xinyong import system

    _print_status(system.status(get_settings()))


def _print_status(report: system.StatusReport) -> None:
    state = "current" if report.up_to_date else f"needs upgrade to {report.head_revision}"
    out.print(f"store         {report.store_url}")
    out.print(f"schema        {report.revision} ({state})")
    out.print(f"jurisdiction  {report.jurisdiction}")
    batches = ", ".join(f"{n} {s}" for s, n in sorted(report.ledger_batches.items())) or "empty"
    out.print(f"ledger        {report.ledger_dir}: {batches}")
    if report.ledger_snapshot:
        out.print(f"snapshot      {report.ledger_snapshot}")
    if report.audit_head_seq is None:
        out.print("audit chain   empty")
    else:
        out.print(f"audit chain   {report.audit_head_seq} events, head {report.audit_head_hash}")
    if report.inquiry_head_seq is None:
        out.print("inquiry chain empty")
    else:
        out.print(
            f"inquiry chain {report.inquiry_head_seq} events, head {report.inquiry_head_hash}"
        )
    table = Table("table", "rows", title="serving store")
    for name, rows in report.table_counts.items():
        table.add_row(name, str(rows))
    out.print(table)


@audit_app.command("verify")
@handles_errors
def audit_verify() -> None:
    """Walk the audit and the inquiry hash chains; exit 1 naming the first broken link."""
    from xinyong import system

    both = system.verify_audit(get_settings())
    broken = []
    for name, result in (("audit", both.audit), ("inquiry", both.inquiries)):
        if not result.ok:
            broken.append(
                f"{name} chain broken at event {result.first_broken_seq}: {result.reason} "
                f"({result.checked} events verified before it)"
            )
        elif result.head is None:
            out.print(f"{name} chain empty: nothing to verify")
        else:
            out.print(
                f"{name} chain intact: {result.checked} events, "
                f"head {result.head.seq} {result.head.hash}"
            )
    if both.inquiries.ok and both.inquiries_anchor is not None:
        out.print(
            f"inquiry chain reaches the head the audit chain anchored ({both.inquiries_anchor.seq})"
        )
    if broken:
        raise fail("; ".join(broken))


@audit_app.command("anchor")
@handles_errors
def audit_anchor() -> None:
    """Record the inquiry chain's head in the audit chain (run it daily, or as often as
    an inquiry log cut back must be caught)."""
    from xinyong import system

    event = system.anchor_inquiries(get_settings())
    if event is None:
        out.print("inquiry chain empty: nothing to anchor")
    else:
        out.print(f"inquiry chain head {event.payload['seq']} anchored as audit event {event.seq}")


@furnisher_app.command("add")
@handles_errors
def furnisher_add(
    name: Annotated[str, typer.Argument(help="Legal name of the furnisher.")],
    kind: Annotated[
        str,
        typer.Option(help="bank, card_issuer, lender, utility, telecom, tax, court or regulator."),
    ],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country.")] = "CN",
    org_id: Annotated[
        str | None, typer.Option("--id", help="Choose the id instead of generating one.")
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(help="Business address, named to consumers who ask how a dispute went."),
    ] = None,
    telephone: Annotated[
        str | None, typer.Option(help="Business telephone number, named likewise.")
    ] = None,
) -> None:
    """Register a furnisher so that its batches are accepted; prints its id."""
    from xinyong import system

    out.print(
        system.register_furnisher(
            get_settings(),
            name,
            kind,
            country,
            org_id=org_id,
            address=address,
            telephone=telephone,
        )
    )


@furnisher_app.command("list")
@handles_errors
def furnisher_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON Lines.")] = False,
) -> None:
    """The registered furnishers, with their business contact details where registered."""
    from xinyong import system

    columns = ("id", "name", "kind", "country", "address", "telephone")
    rows = system.list_furnishers(get_settings())
    if as_json:
        for row in rows:
            keys = ("org_id", "name", "kind", "country", "address", "telephone")
            print(json.dumps({k: row[k] for k in keys}, ensure_ascii=False))
        return
    # Folded, not cut short: an operator reads ids and kinds off this table.
    table = Table(*(Column(c, overflow="fold") for c in columns))
    for row in rows:
        table.add_row(
            row["org_id"],
            row["name"],
            row["kind"],
            row["country"],
            row["address"] or "",
            row["telephone"] or "",
        )
    out.print(table)


@app.command()
@handles_errors
def ingest(
    path: Annotated[Path, typer.Argument(help="The furnisher file.", dir_okay=False)],
    furnisher: Annotated[str, typer.Option("--furnisher", "-f", help="Furnisher id.")],
    format: Annotated[
        str,
        typer.Option(help="auto (from content), metro2, metro2_packed, csv, jsonl or parquet."),
    ] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ingest a furnisher file: every record into the ledger or the rejects.

    Exit 0 when the batch was taken (even with some records rejected), 1 when
    the whole file was refused.
    """
    from xinyong import system

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(f"reading {path.name}", total=None)
        report = system.ingest(
            get_settings(),
            path,
            furnisher,
            format=format,
            progress=lambda n: bar.update(task, description=f"{path.name}: {n:,} records"),
        )
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print_batch(report)
    if report.status == "rejected":
        raise typer.Exit(1)


def _print_batch(report: BatchReport) -> None:
    out.print(f"batch {report.batch_id} ({report.format}, {report.source_name}): {report.status}")
    if report.status == "duplicate":
        out.print(f"  same content as batch {report.duplicate_of}; nothing new stored")
        return
    if report.status == "rejected":
        out.print(f"  file refused: {report.reason}")
        return
    out.print(
        f"  received {report.received:,} = accepted {report.accepted:,}"
        f" + rejected {report.rejected:,}"
    )
    for table, counts in report.by_kind.items():
        out.print(f"  {table}: {counts.received:,} received, {counts.rejected:,} rejected")
    if report.rules:
        rules = ", ".join(f"{rule} {n:,}" for rule, n in report.rules.most_common())
        out.print(f"  rejections by rule: {rules}")
    if report.warnings:
        out.print(f"  accepted with warnings: {report.warnings:,}")


@app.command()
@handles_errors
def rejects(
    batch_id: Annotated[str, typer.Argument(help="Batch id printed by `xinyong ingest`.")],
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON Lines.")] = False,
) -> None:
    """List a batch's rejected records: record, field, rule, message."""
    from xinyong import system

    rows = system.batch_rejects(get_settings(), batch_id, limit)
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False, default=str))
        return
    table = Table("record", "where", "field", "rule", "message")
    for row in rows:
        table.add_row(
            str(row["record_no"]),
            row["location"] or "",
            row["field"] or "",
            row["rule"],
            row["message"],
        )
    out.print(table)


@app.command()
@handles_errors
def synth(
    folder: Annotated[
        Path, typer.Option("--out", help="Folder for the furnisher files and the truth.")
    ],
    persons: Annotated[int, typer.Option(min=0, help="Number of persons.")] = 1000,
    enterprises: Annotated[int, typer.Option(min=0, help="Number of enterprises.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed; the same seed gives the same files.")] = 1,
    formats: Annotated[
        str, typer.Option(help="Comma-separated: metro2, csv, jsonl, parquet.")
    ] = "metro2,csv,jsonl,parquet",
    months: Annotated[int, typer.Option(min=1, help="Monthly reporting files per furnisher.")] = 1,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes; default: every CPU.")
    ] = None,
) -> None:
    """Generate a synthetic population: furnisher files plus a truth folder for evaluation."""
    from xinyong.synth import generate

    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = set(chosen) - {"metro2", "csv", "jsonl", "parquet"}
    if unknown:
        raise UserError(f"unknown formats: {', '.join(sorted(unknown))}")
    if not set(chosen) & {"csv", "jsonl", "parquet"}:
        raise UserError(
            "--formats needs csv, jsonl or parquet too: Chinese furnishers and public records "
            "cannot be sent in Metro 2, which is ASCII and US-only"
        )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("generating subjects", total=persons + enterprises)
        summary = generate(
            persons,
            enterprises,
            seed,
            folder,
            formats=chosen,
            months=months,
            workers=workers,
            progress=lambda n: bar.update(task, completed=n),
        )
    out.print(
        f"{len(summary.files)} furnisher files in {folder}: {summary.accounts:,} account "
        f"records, {summary.public_records:,} public records, "
        f"{summary.expected_rejects:,} spoiled on purpose (see truth/rejects.csv)"
    )


@app.command()
@handles_errors
def demo(
    persons: Annotated[int, typer.Option(min=1)] = DEMO_PERSONS,
    enterprises: Annotated[int, typer.Option(min=0)] = DEMO_ENTERPRISES,
    serve_after: Annotated[
        bool,
        typer.Option("--serve", help="Then start the service on 127.0.0.1:8000 (Ctrl-C stops)."),
    ] = False,
) -> None:
    """The main job: a synthetic country through every step that is built so far."""
    from xinyong import system
    from xinyong.demo import run as demo_run
    from xinyong.demo import score as demo_score
    from xinyong.demo import service_text as demo_service_text

    settings = get_settings()
    out.rule("xinyong demo")
    out.print(f"home     {settings.home.resolve()}  (set XINYONG_HOME to change)")

    def on_file(path: Path, report: BatchReport) -> None:
        where = path.relative_to(settings.home / "population")
        note = (
            f"duplicate of {report.duplicate_of}"
            if report.status == "duplicate"
            else (f"{report.accepted:,} accepted, {report.rejected:,} rejected")
        )
        out.print(f"  ingest  {where}  ({report.format})  {note}")

    out.print(f"1. synthetic population: {persons:,} persons, {enterprises:,} enterprises")
    result = demo_run(settings, persons=persons, enterprises=enterprises, on_file=on_file)
    out.print(
        f"2. ingest: {len(result.batches)} files, {result.received:,} records received, "
        f"{result.accepted:,} accepted, {result.rejected:,} rejected"
    )
    planted = sum(result.expected_rejects.values())
    verdict = "exactly the planted ones" if result.rejects_as_planted else "NOT the planted ones"
    out.print(f"   rejects: {planted:,} records were spoiled on purpose; ingest rejected {verdict}")
    summary = system.resolve(settings)
    out.print(
        f"3. identity resolution: {summary.records:,} records -> {summary.subjects:,} subjects "
        f"({summary.identifier_links:,} identifier links, {summary.probabilistic_links:,} Splink "
        f"links, {summary.conflicts:,} conflicts flagged, {summary.review_open:,} pairs to review)"
    )
    scoring = demo_score(settings, result, progress=_stage_progress())
    pop, run = scoring.population, scoring.run
    out.print(
        f"4. population scorecard (trained on the resolved files vs the generator's truth): "
        f"holdout AUC {pop.holdout_auc:.3f}, the truth's ceiling {pop.ceiling_auc:.3f} "
        f"({pop.share_of_ceiling:.0%} of the knowable), model {pop.model.model_id[:12]}"
    )
    stored = run.stored
    what = (
        "already stored"
        if stored is not None and stored.already_stored
        else f"{stored.scores if stored else 0:,} stored"
    )
    out.print(
        f"5. batch pipeline ({run.manifest.engine}, run {run.manifest.run_id}): "
        f"{run.manifest.counts['file_subjects']:,} credit files, "
        f"{scoring.subjects_scored:,} persons scored ({what}); score deciles "
        + " ".join(str(d) for d in run.deciles)
    )
    out.print("   next: `xinyong score explain SCORE_ID`, `xinyong attributes SUBJECT`")
    published = run.published
    if published is not None:
        out.print(
            f"6. published to the service: {published.subjects:,} credit files, "
            f"{published.account_items:,} account items, "
            f"{published.public_record_items:,} public records"
        )
    out.rule("the service: try it")
    out.print(demo_service_text(settings, result.population), markup=False, highlight=False)
    out.rule("status")
    _print_status(system.status(settings))
    out.print(
        "next: `xinyong rejects BATCH_ID` for a batch's reasons, `xinyong audit verify`, "
        f"the population and its truth in {result.population}"
    )
    if not result.rejects_as_planted:
        raise typer.Exit(1)
    if serve_after:
        import uvicorn

        out.rule("serving on http://127.0.0.1:8000 (Ctrl-C stops)")
        uvicorn.run("xinyong.api.app:app_from_env", factory=True, host="127.0.0.1", port=8000)


def _models_dir() -> Path:
    return get_settings().home / "models"


@model_app.command("train")
@handles_errors
def model_train(
    data: Annotated[Path, typer.Option(help="Development sample, CSV or Parquet.")],
    target: Annotated[str | None, typer.Option(help="Column with 1 = bad, 0 = good.")] = None,
    id_column: Annotated[
        str | None, typer.Option("--id", help="Row id column (never an input).")
    ] = None,
    out_path: Annotated[
        Path | None,
        typer.Option("--out", help="Model file (.json) or folder; default the home's registry."),
    ] = None,
    drop_refused: Annotated[
        bool, typer.Option(help="Drop protected or identifying columns instead of stopping.")
    ] = False,
    fit: Annotated[
        str,
        typer.Option(
            help="steps (default): the WoE card corrected bin by bin, monotone, "
            "penalty by cross-validation; woe: the classic WoE card."
        ),
    ] = "steps",
) -> None:
    """Train a scorecard: monotonic optimal binning, logistic regression, PDO scaling."""
    from xinyong.score.train import TrainConfig, train_from_file

    if not data.is_file():
        raise UserError(f"no such file: {data}")
    model = train_from_file(
        data,
        target,
        id_column,
        out_path or _models_dir(),
        config=TrainConfig(fit=fit),
        drop_refused=drop_refused,
    )
    _print_metrics(model.metrics)
    out.print(f"model {model.model_id}")


def _print_metrics(metrics: Any) -> None:
    if metrics is None:
        return
    out.print(
        f"{metrics.sample}: n={metrics.n:,} bad rate {metrics.bad_rate:.2%}  "
        f"AUC {metrics.auc:.4f}  KS {metrics.ks:.4f}  Gini {metrics.gini:.4f}"
    )
    table = Table("decile", "count", "predicted bad", "observed bad", title="calibration")
    for row in metrics.calibration:
        table.add_row(
            str(row.decile),
            f"{row.count:,}",
            f"{row.predicted_bad_rate:.2%}",
            f"{row.observed_bad_rate:.2%}",
        )
    out.print(table)


@model_app.command("evaluate")
@handles_errors
def model_evaluate(
    model: Annotated[str, typer.Argument(help="Model file, id or id prefix.")],
    data: Annotated[Path, typer.Option(help="Labelled sample, CSV or Parquet.")],
    target: Annotated[str | None, typer.Option(help="Column with 1 = bad, 0 = good.")] = None,
) -> None:
    """Print AUC, KS, Gini and calibration of a model on a labelled sample."""
    from xinyong.score import evaluate_file, open_model

    if not data.is_file():
        raise UserError(f"no such file: {data}")
    _print_metrics(evaluate_file(open_model(model, _models_dir()), data, target))


@org_app.command("inquirer")
@handles_errors
def org_inquirer(
    name: Annotated[str, typer.Argument(help="Legal name of the inquirer.")],
    purposes: Annotated[
        str,
        typer.Option(help="Comma-separated purposes it was vetted for, e.g. credit_application."),
    ],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country.")] = "CN",
) -> None:
    """Register a vetted inquirer with the purposes it may ask for; prints its id."""
    from xinyong.service_ops import add_inquirer

    chosen = [p.strip() for p in purposes.split(",") if p.strip()]
    out.print(add_inquirer(get_settings(), name, chosen, country))


@org_app.command("operator")
@handles_errors
def org_operator(
    name: Annotated[str, typer.Argument(help="Name of the operator or regulator.")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country.")] = "CN",
) -> None:
    """Register an operator or regulator organisation; prints its id."""
    from xinyong.service_ops import add_operator

    out.print(add_operator(get_settings(), name, country))


@key_app.command("create")
@handles_errors
def key_create(
    org_id: Annotated[str, typer.Argument(help="Organisation id.")],
    role: Annotated[str, typer.Option(help="furnisher, inquirer or operator.")],
    days: Annotated[int | None, typer.Option(min=1, help="Expire after N days.")] = None,
) -> None:
    """Create an API key; the token is printed once and stored only as a hash."""
    from xinyong.service_ops import create_api_key

    key = create_api_key(get_settings(), org_id, role, days)
    expires = key.expires_at.isoformat() if key.expires_at else "never (revoke to end it)"
    err.print(f"key {key.key_id} for {key.org_id} ({key.role}), expires {expires}")
    out.print(key.token)


@key_app.command("revoke")
@handles_errors
def key_revoke(key_id: Annotated[str, typer.Argument(help="Key id (before the dot).")]) -> None:
    """Revoke an API key at once."""
    from xinyong.service_ops import revoke_api_key

    revoke_api_key(get_settings(), key_id)
    out.print(f"key {key_id} revoked")


@app.command("subject-code")
@handles_errors
def subject_code(subject_id: Annotated[str, typer.Argument(help="Subject id.")]) -> None:
    """A one-time log-in code for a subject (stands in for an identity provider)."""
    from xinyong.service_ops import issue_subject_code

    out.print(issue_subject_code(get_settings(), subject_id))


@app.command()
@handles_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            "--proxy-headers/--no-proxy-headers",
            help="Take the scheme and client address from X-Forwarded-Proto and "
            "X-Forwarded-For, but only on connections from --forwarded-allow-ips. Behind a "
            "TLS-terminating proxy this is what makes the portal's cookies Secure (the "
            "proxy must set X-Forwarded-Proto). Off: every request is taken as it arrived.",
        ),
    ] = True,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            help="Comma-separated addresses or networks (CIDR) of the proxies whose "
            "X-Forwarded-* headers are trusted; a request from anywhere else keeps its own "
            "scheme and address. '*' trusts everyone: only if nothing but the proxy can "
            "reach this port.",
        ),
    ] = "127.0.0.1",
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="Log a line per request (client address, method, path, status). Off by "
            "default: every inquiry is already recorded in the store and its audit chain, a "
            "proxy in front keeps its own log, and each line costs the worker some 20-45 "
            "microseconds of CPU (about 5 % of an inquiry's, a third of a health check's).",
        ),
    ] = False,
    worker_hang_seconds: Annotated[
        float,
        typer.Option(
            min=1,
            help="With several workers on Linux: a worker whose event loop has not turned "
            "for this long (a call that blocks forever, a deadlock) is killed and another "
            "started in its place.",
        ),
    ] = 30.0,
) -> None:
    """Serve the API (furnishers, inquirers, subjects, operators); OpenAPI at /openapi.json.

    Behind a TLS-terminating proxy on another host, pass its address with
    --forwarded-allow-ips so that portal cookies are marked Secure. uvicorn runs
    on uvloop and httptools (installed with xinyong), as benchmarks/service.py
    measures it. With several workers on Linux each accepts on a socket of its
    own, so that new connections are spread over them (``xinyong.api.workers``);
    SIGHUP replaces the workers one by one, as with uvicorn's own workers, and a
    worker that hangs is replaced.
    """
    import uvicorn

    from xinyong import system
    from xinyong.api import workers as worker_processes

    system.open_system(get_settings()).engine.dispose()  # fail early, in one line
    options: dict[str, Any] = {
        "app": "xinyong.api.app:app_from_env",
        "factory": True,
        "proxy_headers": proxy_headers,
        "forwarded_allow_ips": forwarded_allow_ips,
        "access_log": access_log,
    }
    if workers > 1 and worker_processes.balances():
        raise typer.Exit(
            worker_processes.serve_workers(options, host, port, workers, worker_hang_seconds)
        )
    uvicorn.run(host=host, port=port, workers=workers, **options)


@app.command()
@handles_errors
def resolve(
    full: Annotated[bool, typer.Option(help="Re-link everything and retrain the models.")] = False,
) -> None:
    """Link every ledger record not yet linked to its subject (identifiers, then Splink)."""
    from xinyong import system

    summary = system.resolve(get_settings(), full=full, progress=_stage_progress())
    _print_resolve(summary)


def _stage_progress() -> Callable[[str, int, int], None]:
    def show(stage: str, done: int, total: int) -> None:
        err.print(f"  {stage}" + (f" {done:,}/{total:,}" if total > 1 else ""), highlight=False)

    return show


def _print_resolve(summary: Any) -> None:
    out.print(
        f"resolution run {summary.run_id} ({summary.mode}): {summary.records:,} records, "
        f"{summary.mentions:,} distinct descriptions, {summary.subjects:,} subjects"
    )
    out.print(
        f"  links: {summary.identifier_links:,} by identifier, {summary.rule_links:,} by rule, "
        f"{summary.probabilistic_links:,} by Splink; {summary.conflicts:,} conflicts flagged, "
        f"{summary.review_open:,} pairs awaiting review"
    )


@review_app.command("list")
@handles_errors
def review_list(limit: Annotated[int, typer.Option(help="At most this many.")] = 20) -> None:
    """Pairs awaiting a human judgement, most pressing first."""
    from xinyong import system

    table = Table("pair", "category", "left", "right", "probability", "why")
    for item in system.review_items(get_settings(), limit):
        probability = "" if item.match_probability is None else f"{item.match_probability:.3f}"
        table.add_row(
            str(item.decision_id),
            item.category,
            _mention(item.left),
            _mention(item.right),
            probability,
            item.reason or "",
        )
    out.print(table)


def _mention(view: Any) -> str:
    born = view.birth_date or view.registration_date or ""
    return " ".join(str(p) for p in (view.name, born, view.identifier, view.furnisher_id) if p)


@review_app.command("decide")
@handles_errors
def review_decide(
    pair: Annotated[str, typer.Argument(help="The pair id from `review list`.")],
    same: Annotated[
        bool | None, typer.Option("--same/--different", help="The same subject, or not.")
    ] = None,
    actor: Annotated[str, typer.Option(help="Who judges.")] = "operator",
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
) -> None:
    """Record a human judgement on a pair; subjects are recomputed at once."""
    from xinyong import system

    if same is None:
        raise UserError("say --same or --different")
    result = system.review_decide(get_settings(), pair, same=same, actor=actor, reason=reason)
    out.print(str(result))


score_app = typer.Typer(
    help="Score every subject in batch (no subcommand), or explain a stored score.",
    invoke_without_command=True,
)
app.add_typer(score_app, name="score")


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"--as-of must be a date like 2026-06-30, got {value!r}", 2) from None


def _pipeline_progress() -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err)
    task = bar.add_task("pipeline", total=5)

    def show(step: str, done: int, total: int) -> None:
        bar.update(task, description=f"pipeline: {step}", completed=done, total=total)

    return bar, show


def _print_run(run: batch_ops.BatchRun, as_json: bool) -> None:
    if as_json:
        out.print_json(data=run.to_dict())
        return
    m = run.manifest
    state = "same inputs as an earlier run: reused" if m.reused else "computed"
    out.print(f"run      {m.run_id} ({m.engine}, {state})")
    out.print(f"folder   {m.run_dir}")
    out.print(f"as of    {m.as_of}  ledger snapshot {m.snapshot_id[:16]}  profile {m.jurisdiction}")
    out.print(f"model    {m.model_id or 'none: files and attributes only'}")
    counts = m.counts
    out.print(
        f"files    {counts['file_subjects']:,} subjects, {counts['file_accounts']:,} accounts, "
        f"{counts['file_public_records']:,} public records, "
        f"{counts['file_history']:,} history months"
    )
    out.print(f"scores   {counts['scores']:,} scored, {counts['score_reasons']:,} reasons")
    if run.stored is not None:
        what = (
            "already stored, nothing new"
            if run.stored.already_stored
            else f"{run.stored.scores:,} scores and {run.stored.reasons:,} reasons stored"
        )
        out.print(f"store    {what}")
    if run.published is not None:
        out.print(
            f"service  published: {run.published.subjects:,} credit files, "
            f"{run.published.account_items:,} account items"
        )
    if run.rescored:
        out.print(f"rescore  {run.rescored:,} queued rescore request(s) done")
    if run.deciles:
        out.print("deciles  " + " ".join(str(d) for d in run.deciles))
    out.print("seconds  " + ", ".join(f"{k} {v:.2f}" for k, v in m.seconds.items()))


@app.command("run")
@handles_errors
def run_command(
    engine: Annotated[str, typer.Option(help="duckdb (default) or spark.")] = "duckdb",
    master: Annotated[str | None, typer.Option(help="Spark master, e.g. local[2].")] = None,
    memory: Annotated[
        str | None,
        typer.Option(
            help="Engine memory, e.g. 8GB: DuckDB's limit (spills beyond) or Spark's driver."
        ),
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="Reporting date, default today.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Model id or prefix; default the newest.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """The whole batch pipeline: resolve, files, attributes, scores, stored."""
    from xinyong import batch_ops

    bar, show = _pipeline_progress()
    with bar:
        run = batch_ops.run_batch(
            get_settings(),
            engine=engine,
            master=master,
            memory=memory,
            as_of=_as_of(as_of),
            model=model,
            resolve=True,
            progress=show,
        )
    _print_run(run, as_json)


@score_app.callback()
@handles_errors
def score_command(
    ctx: typer.Context,
    model: Annotated[
        str | None, typer.Option(help="Model id or prefix; default the newest.")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="Reporting date, default today.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Score every subject in batch (the pipeline on DuckDB) and store the scores."""
    from xinyong import batch_ops

    if ctx.invoked_subcommand is not None:
        return
    bar, show = _pipeline_progress()
    with bar:
        run = batch_ops.run_batch(
            get_settings(), as_of=_as_of(as_of), model=model, require_model=True, progress=show
        )
    _print_run(run, as_json)


@score_app.command("explain")
@handles_errors
def score_explain(
    score_id: Annotated[str, typer.Argument(help="A stored score's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Recompute a stored score from the ledger snapshot and its run; show the working."""
    from xinyong import batch_ops

    check = batch_ops.explain(get_settings(), score_id)
    got = check.recomputed
    if as_json:
        out.print_json(
            data={
                "score_id": check.score_id,
                "subject_id": check.subject_id,
                "run_id": check.run_id,
                "model_id": check.model_id,
                "as_of": check.as_of.isoformat(),
                "ledger_snapshot": check.ledger_snapshot,
                "stored_score": check.stored_score,
                "recomputed_score": got.score if got else None,
                "matches": check.matches,
                "differences": list(check.differences),
                "reasons": [
                    {"rank": r.rank, "code": r.code, "text": r.text, "points_lost": r.points_lost}
                    for r in check.stored_reasons
                ],
                "characteristics": [
                    {"name": c.name, "value": c.value, "bin": c.bin_label, "points": c.points}
                    for c in (got.characteristics if got else ())
                ],
            }
        )
    else:
        out.print(f"score {check.score_id}: subject {check.subject_id}, as of {check.as_of}")
        out.print(f"  model {check.model_id}, run {check.run_id}")
        out.print(f"  ledger snapshot {check.ledger_snapshot}")
        out.print(f"  stored {check.stored_score}, recomputed {got.score if got else '-'}")
        if got is not None:
            table = Table("characteristic", "value", "bin", "points", "lost")
            for c in got.characteristics:
                table.add_row(
                    c.name, str(c.value), c.bin_label, f"{c.points:g}", f"{c.points_lost:g}"
                )
            out.print(table)
            out.print(f"  base points {got.base_points:g}, total {got.raw_points:g}")
        for r in check.stored_reasons:
            out.print(f"  reason {r.rank}: {r.code} {r.text} (-{r.points_lost:g})")
        if check.matches:
            out.print("[green]recomputed from the ledger: same score, same reasons, same inputs[/]")
    if not check.matches:
        for d in check.differences:
            err.print(f"[bold red]MISMATCH[/] {d}", highlight=False)
        raise typer.Exit(1)


@app.command("attributes")
@handles_errors
def attributes_command(
    subject: Annotated[str, typer.Argument(help="Subject id.")],
    as_of: Annotated[str | None, typer.Option(help="Reporting date, default today.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Every attribute of one subject with its plain-language meaning, unit and value."""
    from xinyong import batch_ops

    values = batch_ops.attributes_of(get_settings(), subject, _as_of(as_of))
    if as_json:
        out.print_json(
            data=[
                {"name": v.name, "meaning": v.meaning, "unit": v.unit, "value": v.value}
                for v in values
            ]
        )
        return
    table = Table("attribute", "value", "unit", "meaning")
    for v in values:
        table.add_row(v.name, "-" if v.value is None else str(v.value), v.unit, v.meaning)
    out.print(table)


disputes_app = typer.Typer(
    help="Dispute deadlines: breaches and suppression.", no_args_is_help=True
)
app.add_typer(disputes_app, name="disputes")


@disputes_app.command("overdue")
@handles_errors
def disputes_overdue(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON Lines.")] = False,
) -> None:
    """List deadline breaches: disputes unanswered or answered late, notices sent late."""
    from xinyong.disputes import overdue_in_deployment

    breaches = overdue_in_deployment(get_settings())
    if as_json:
        for breach in breaches:
            print(json.dumps(breach.as_json(), ensure_ascii=False))
        return
    if not breaches:
        out.print("no dispute is past its deadline")
        return
    for b in breaches:
        when = "" if b.resolved_at is None else f" {b.resolved_at:%Y-%m-%d}"
        out.print(
            f"{b.dispute_id}  due {b.due_at:%Y-%m-%d}  {b.item_kind} {b.item_id or '-'}  "
            f"furnisher {b.furnisher_id or '(operator)'}  "
            f"{b.status}, {b.breach.replace('_', ' ')}{when}",
            highlight=False,
        )


@disputes_app.command("enforce")
@handles_errors
def disputes_enforce() -> None:
    """Close every dispute past its deadline by the profile's rule (suppress, or keep and note)."""
    from xinyong.disputes import enforce_deployment

    closed = enforce_deployment(get_settings())
    out.print(f"closed {len(closed)} overdue dispute(s) by the profile's deadline rule")
    for dispute_id in closed:
        out.print(dispute_id)


@app.command()
@handles_errors
def publish(
    run_dir: Annotated[
        Path, typer.Argument(help="A batch run's folder ($XINYONG_HOME/runs/<run_id>).")
    ],
) -> None:
    """Publish a batch run's credit files to the service (replaces the current publication)."""
    from xinyong import system
    from xinyong.publish import publish_run

    opened = system.open_system(get_settings())
    try:
        run = publish_run(opened.engine, run_dir)
    finally:
        opened.engine.dispose()
    out.print(
        f"published run {run.run_id} (as of {run.as_of}): {run.subjects:,} subjects, "
        f"{run.account_items:,} account items, {run.public_record_items:,} public records"
    )


def run() -> None:  # pragma: no cover - console entry point helper
    sys.exit(app())
