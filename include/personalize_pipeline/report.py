"""Per-solution promotion report: metric-history chart plus Markdown/HTML summaries uploaded to S3."""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from personalize_pipeline.promotion import MetricDelta, PromotionDecision, metric_order

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

CHART_FILENAME = "chart.png"
# Personalize's own naming rule; also keeps the name from escaping its S3 "folder".
_SOLUTION_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class VersionPoint:
    version_arn: str
    created_at: float  # epoch seconds
    metrics: dict[str, float] = field(default_factory=dict)
    promoted: bool = False

    @property
    def label(self) -> str:
        # ARNs end in ".../solution/<name>/<version-id>"; the id is what people recognise.
        return self.version_arn.rsplit("/", 1)[-1] or self.version_arn

    @property
    def created_iso(self) -> str:
        return datetime.fromtimestamp(self.created_at, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")

    def to_dict(self) -> dict[str, Any]:
        return {
            "version_arn": self.version_arn,
            "created_at": self.created_at,
            "metrics": dict(self.metrics),
            "promoted": self.promoted,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VersionPoint:
        return cls(
            version_arn=str(data["version_arn"]),
            created_at=float(data["created_at"]),
            metrics={str(k): float(v) for k, v in dict(data.get("metrics") or {}).items() if v is not None},
            promoted=bool(data.get("promoted", False)),
        )


def _ordered(history: Sequence[VersionPoint]) -> list[VersionPoint]:
    return sorted(history, key=lambda p: p.created_at)


def _as_decision(decision: PromotionDecision | Mapping[str, Any]) -> PromotionDecision:
    # Downstream tasks usually hold the XCom dict rather than the object.
    return decision if isinstance(decision, PromotionDecision) else PromotionDecision.from_dict(decision)


def render_chart(
    history: Sequence[VersionPoint], metrics: Sequence[str], candidate_arn: str | None = None
) -> bytes:
    """PNG of each metric across versions (ordered by creation time).

    Promoted versions get a filled star; the candidate (``candidate_arn``, default: newest
    version) gets a hollow ring. Missing values leave gaps rather than failing.
    """
    # Imported here: matplotlib is slow to import and only this task needs it. The OO API with an
    # explicit Agg canvas avoids pyplot's global state (safe in threads, no display needed).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    points = _ordered(history)
    if candidate_arn is None and points:
        candidate_arn = points[-1].version_arn
    names = list(metrics) or metric_order({m for p in points for m in p.metrics})

    fig = Figure(figsize=(9, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = list(range(len(points)))
    if not points or not names:
        ax.text(0.5, 0.5, "no metric history yet", ha="center", va="center", transform=ax.transAxes)
    for name in names:
        ys = [p.metrics.get(name, float("nan")) for p in points]
        (line,) = ax.plot(xs, ys, marker="o", markersize=4, label=name)
        px = [x for x, p in zip(xs, points, strict=True) if p.promoted]
        py = [y for y, p in zip(ys, points, strict=True) if p.promoted]
        if px:
            ax.scatter(px, py, marker="*", s=160, color=line.get_color(), zorder=3)
        for x, y, p in zip(xs, ys, points, strict=True):
            if p.version_arn == candidate_arn:
                ax.scatter([x], [y], s=220, facecolors="none", edgecolors="black", linewidths=1.5, zorder=4)
    ax.set_xticks(xs, [f"{p.label}\n{p.created_iso[:10]}" for p in points], fontsize=7)
    ax.set_xlabel("solution version (★ promoted, ○ candidate)")
    ax.set_ylabel("metric value")
    ax.grid(True, alpha=0.3)
    if names and points:
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def _md(text: str) -> str:
    """Escape Markdown (and inline HTML) so names/messages render literally and can't break tables."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _num(value: float | None, spec: str = ".4f") -> str:
    return "n/a" if value is None else format(value, spec)


def _rel(row: MetricDelta) -> str:
    return "n/a" if row.rel_delta is None else f"{row.rel_delta * 100:+.1f}%"


def _history_metrics(decision: PromotionDecision, points: Sequence[VersionPoint]) -> list[str]:
    # Primary metric first: it is the one the decision is about.
    return metric_order({m for p in points for m in p.metrics}, decision.primary_metric)


def _utc(epoch: Any) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%d %H:%M UTC")


def evaluation_facts(account: Mapping[str, Any] | None) -> tuple[str, list[list[str]]]:
    """How the versions were compared (one sentence) and, after a fair comparison, Personalize's own metrics of
    both (metric, in service, candidate) for reference; empty without an incumbent."""
    if not account:
        return "", []
    if account.get("gate") == "fair":
        window = account.get("window") or {}
        fact = (f"Gate: fair comparison. Both versions recommended for the same {account.get('users')} users active "
                f"in the held-back window {_utc(window['start'])} to {_utc(window['end'])}, which neither was "
                f"trained on, and were scored on their {account.get('events')} events there with Personalize's "
                f"metric definitions. Cost: {account.get('batch_jobs')} batch inference jobs.")
        own = account.get("personalize", {})
        names = metric_order(set(own.get("candidate", {})) | set(own.get("incumbent", {})))
        rows = [[m, _num(own.get("incumbent", {}).get(m)), _num(own.get("candidate", {}).get(m))] for m in names]
        return fact, rows
    return (f"Gate: Personalize's own metrics (GetSolutionMetrics: each version on its own held-out users and "
            f"events). {account.get('reason') or ''}".strip(), [])


OWN_METRICS_HEADER = ["metric", "in service", "candidate"]
OWN_METRICS_TITLE = "Personalize's own metrics (each version on its own data; not the gate)"


def render_markdown(
    solution_name: str,
    decision: PromotionDecision | Mapping[str, Any],
    history: Sequence[VersionPoint],
    chart_filename: str = CHART_FILENAME,
    evaluation: Mapping[str, Any] | None = None,
) -> str:
    dec = _as_decision(decision)
    points = _ordered(history)
    verdict = "PROMOTED" if dec.promote else "REJECTED"
    fact, own = evaluation_facts(evaluation)
    lines = [
        f"# Personalize promotion report: {_md(solution_name)}",
        "",
        f"**{verdict}**: {_md(dec.reason)}",
        "",
        *([_md(fact), ""] if fact else []),
        f"Primary metric: `{dec.primary_metric}`",
        "",
        "| metric | in service | candidate | abs delta | rel delta |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in dec.rows:
        lines.append(
            f"| `{r.metric}` | {_num(r.incumbent)} | {_num(r.candidate)} "
            f"| {_num(r.abs_delta, '+.4f')} | {_rel(r)} |"
        )
    if own:
        lines += ["", f"## {OWN_METRICS_TITLE}", "", "| metric | in service | candidate |", "|---|---:|---:|"]
        lines += [f"| `{m}` | {old} | {new} |" for m, old, new in own]
    lines += ["", f"![metric history]({chart_filename})", "", "## Version history", ""]
    metric_names = _history_metrics(dec, points)
    lines.append("| version | created | promoted | " + " | ".join(f"`{m}`" for m in metric_names) + " |")
    lines.append("|---|---|---|" + "---:|" * len(metric_names))
    for p in points:
        cells = [_md(p.label), p.created_iso, "yes" if p.promoted else ""]
        cells += [_num(p.metrics.get(m)) for m in metric_names]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_HTML_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
.banner{padding:.8em 1em;border-radius:6px;margin:1em 0;font-weight:600}
.promote{background:#e3f5e6;border-left:6px solid #2e7d32}
.reject{background:#fde8e8;border-left:6px solid #c62828}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.3em .6em}
td.num{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%}
""".strip()


def render_html(
    solution_name: str,
    decision: PromotionDecision | Mapping[str, Any],
    history: Sequence[VersionPoint],
    chart_filename: str = CHART_FILENAME,
    evaluation: Mapping[str, Any] | None = None,
) -> str:
    """Self-contained page (inline CSS; ``chart_filename`` is the chart's URL: a sibling file or a data: URI).
    Every dynamic value is escaped."""
    dec = _as_decision(decision)
    points = _ordered(history)
    esc = html.escape
    name = esc(solution_name)
    css_class, verdict = ("promote", "Promoted") if dec.promote else ("reject", "Rejected")
    fact, own = evaluation_facts(evaluation)
    how = f"<p>{esc(fact)}</p>" if fact else ""
    own_table = f"<h2>{esc(OWN_METRICS_TITLE)}</h2>\n{html_table(OWN_METRICS_HEADER, own)}\n" if own else ""

    delta_rows = "\n".join(
        f"<tr><td>{esc(r.metric)}</td><td class=num>{_num(r.incumbent)}</td>"
        f"<td class=num>{_num(r.candidate)}</td><td class=num>{_num(r.abs_delta, '+.4f')}</td>"
        f"<td class=num>{_rel(r)}</td></tr>"
        for r in dec.rows
    )
    metric_names = _history_metrics(dec, points)
    history_head = "".join(f"<th>{esc(m)}</th>" for m in metric_names)
    history_rows = "\n".join(
        f'<tr><td title="{esc(p.version_arn)}">{esc(p.label)}</td><td>{esc(p.created_iso)}</td>'
        f"<td>{'yes' if p.promoted else ''}</td>"
        + "".join(f"<td class=num>{_num(p.metrics.get(m))}</td>" for m in metric_names)
        + "</tr>"
        for p in points
    )
    return html_page(f"Personalize report: {solution_name}", f"""<h1>Personalize promotion report: {name}</h1>
<div class="banner {css_class}">{verdict}: {esc(dec.reason)}</div>
{how}<p>Primary metric: <code>{esc(dec.primary_metric)}</code></p>
<table>
<tr><th>metric</th><th>in service</th><th>candidate</th><th>abs delta</th><th>rel delta</th></tr>
{delta_rows}
</table>
{own_table}<img src="{esc(chart_filename)}" alt="metric history">
<h2>Version history</h2>
<table>
<tr><th>version</th><th>created</th><th>promoted</th>{history_head}</tr>
{history_rows}
</table>""")


def html_page(title: str, body: str) -> str:
    """A self-contained page in the reports' style; `title` is escaped here, `body` is HTML already escaped."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{_HTML_STYLE}</style>
</head>
<body>
{body}
</body>
</html>
"""


def html_table(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    """A table of escaped values."""
    esc = html.escape
    head = "".join(f"<th>{esc(str(h))}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{esc(str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table>\n<tr>{head}</tr>\n{body}\n</table>"


Section = tuple[str, Sequence[str], Sequence[Sequence[Any]]]  # (heading, header, rows)


def render_summary_html(title: str, facts: Sequence[str], header: Sequence[str],
                        rows: Sequence[Sequence[Any]], sections: Sequence[Section] = ()) -> str:
    """The run summary as a self-contained page (the report's style); every value is escaped."""
    paragraphs = "\n".join(f"<p>{html.escape(fact)}</p>" for fact in facts)
    more = "".join(f"\n<h2>{html.escape(heading)}</h2>\n{html_table(head, body)}" for heading, head, body in sections)
    return html_page(title, f"<h1>{html.escape(title)}</h1>\n{paragraphs}\n{html_table(header, rows)}{more}")


def write_report(
    s3_hook: S3Hook,
    bucket: str,
    prefix: str,
    solution_name: str,
    decision: PromotionDecision | Mapping[str, Any],
    history: Sequence[VersionPoint],
    metrics: Sequence[str] | None = None,
    evaluation: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """Render and upload report.md, report.html and chart.png; return their s3:// URIs.

    ``metrics`` selects the charted metrics (default: every metric in the decision, primary first).
    """
    if not _SOLUTION_NAME_RE.match(solution_name):
        raise ValueError(f"solution name {solution_name!r} is not a valid Personalize name / S3 path part")
    dec = _as_decision(decision)
    if metrics is None:
        metrics = metric_order({r.metric for r in dec.rows}, dec.primary_metric)
    base = "/".join(part for part in (prefix.strip("/"), "reports", solution_name) if part)
    keys = {
        "chart": f"{base}/{CHART_FILENAME}",
        "markdown": f"{base}/report.md",
        "html": f"{base}/report.html",
    }
    # Chart first so a reader never sees a page whose image is not there yet; replace=True so a
    # task retry overwrites the previous attempt instead of failing on "key already exists".
    chart = render_chart(history, metrics)
    s3_hook.load_bytes(chart, key=keys["chart"], bucket_name=bucket, replace=True)
    s3_hook.load_string(
        render_markdown(solution_name, dec, history, CHART_FILENAME, evaluation),
        key=keys["markdown"],
        bucket_name=bucket,
        replace=True,
    )
    # The page embeds its chart and says it is HTML: it is opened from a presigned URL or the S3 console (the
    # "Promotion report" link), where a sibling chart.png would need a signature of its own and S3's default
    # binary/octet-stream would make the browser download the page.
    page = render_html(solution_name, dec, history, "data:image/png;base64," + base64.b64encode(chart).decode(),
                       evaluation)
    client: Any = s3_hook.get_conn()
    client.put_object(
        Bucket=bucket, Key=keys["html"], Body=page.encode(),
        **{**s3_hook.extra_args, "ContentType": "text/html; charset=utf-8"},
    )
    return {kind: f"s3://{bucket}/{key}" for kind, key in keys.items()}
