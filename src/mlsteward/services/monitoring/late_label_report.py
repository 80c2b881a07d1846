"""A late-label performance result as one offline HTML page (for the one-shot command).

The same per-window table a monitor's report shows, then each metric over time: realized on
the labelled rows, and the CBPE estimate with its band when a labelled reference was given.
"""

from __future__ import annotations

import datetime as dt

from mlsteward.services.monitoring.late_label_figures import LateLabelFigures
from mlsteward.services.monitoring.performance_windows import window_rows
from mlsteward.services.monitoring.report_views import performance_table, performance_views
from mlsteward.services.monitoring.reports import render_page


def late_label_html(perf: LateLabelFigures, title: str) -> str:
    whole = perf.coverage[0]
    check = {"windows": window_rows(perf), "estimated": perf.estimated is not None}
    check["messages"] = list(perf.messages)
    return render_page(
        "late_labels.html.j2",
        title=title,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        task=perf.task,
        n_predictions=whole.n_predictions,
        n_labelled=whole.n_labelled,
        share=whole.share,
        table=performance_table(check),
        performance=performance_views(perf.for_report),
    )
