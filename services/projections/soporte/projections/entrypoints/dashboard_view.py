"""What the leads' dashboard shows (pure): each chart and its table from the reports, in the page's words.

Every number a chart draws is in its table, as a person reads it (the page's
language: ``12,5`` in Spanish) and as a machine does (``data-value``: shares
as fractions, averages in minutes, to four decimals).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime

from soporte.projections.domain.forecast import Forecast
from soporte.projections.domain.reports import OPEN_STATUSES, BacklogDay, SlaReport, Tally
from soporte.projections.entrypoints.charts import Cell, Chart, Series, Table
from soporte.projections.entrypoints.presenters import Presenter

FEW_LABELS = 15  # at most this many day numbers along an axis


class DashboardView:
    """The dashboard's charts for one page (``show``: the ``dashboard`` area's words and the desk's times)."""

    def __init__(self, show: Presenter) -> None:
        self.show, self.w, self.lang = show, show.page, show.lang

    # --- numbers and days as a person reads them ---------------------------------------------------

    def number(self, value: float, digits: int = 1) -> str:
        text = f"{value:.{digits}f}"
        return text.replace(".", ",") if self.lang == "es" else text

    def minutes(self, value: float | None) -> str:
        return self.w.minutes.format(value=self.number(value)) if value is not None else self.w.nothing

    def percent(self, share: float | None) -> str:
        return self.w.percent.format(value=self.number(100 * share, 0)) if share is not None else self.w.nothing

    def time_of_day(self, moment: datetime) -> str:
        """``11:04`` in the desk's timezone (the page names the zone once)."""
        return moment.astimezone(self.show.tz).strftime("%H:%M")

    def day(self, day: date) -> str:
        weekday = self.w.weekdays_short[day.weekday()]
        return self.w.day_label.format(weekday=weekday, day=day.day, month=day.month)

    def paces(self, forecast: Forecast) -> str:
        """``Ana, 6 por hora, Bea, 4 por hora``: the agents on shift and their pace."""
        pace = self.w.forecast.pace
        return ", ".join(
            pace.format(name=a.name or a.agent_id, count=self.number(a.per_hour, 0)) for a in forecast.agents
        )

    def _average(self, tally: Tally) -> Cell:
        average = tally.average_first_response_minutes
        return Cell(self.minutes(average), f"{average:.4f}" if average is not None else "")

    def _share(self, share: float | None) -> Cell:
        return Cell(self.percent(share), f"{share:.4f}" if share is not None else "")

    # --- the charts ---------------------------------------------------------------------------------

    def charts(self, by_day: SlaReport, by_agent: SlaReport, backlog: Sequence[BacklogDay]) -> list[Chart]:
        return [
            self.first_response(by_day),
            self.answered_in_time(by_day),
            self.attended(by_day),
            self.escalations(by_day),
            self.backlog_by_status(backlog),
            self.backlog_by_category(backlog),
            self.agents(by_agent),
        ]

    def _days(self, report: SlaReport) -> tuple[list[date], dict]:
        days = [date.fromisoformat(row.key) for row in report.rows]
        axis = {"labels": tuple(str(d.day) for d in days), "axis_every": math.ceil(len(days) / FEW_LABELS) or 1}
        return days, axis

    def _chart(self, key: str, name: str, kind: str, series, table, axis: dict, **extra) -> Chart:
        words = self.w.charts[name]
        target = extra.pop("target_words", {})
        return Chart(
            key,
            kind,
            words.title,
            words.description.format(**target),
            series=tuple(series),
            table=table,
            **axis,
            **extra,
        )

    def first_response(self, report: SlaReport) -> Chart:
        days, axis = self._days(report)
        target, c = report.target_minutes, self.w.columns
        rows = tuple(
            (
                row.key,
                (
                    Cell(self.day(d)),
                    self._average(row.tally),
                    Cell(str(row.tally.first_responses), str(row.tally.first_responses)),
                ),
            )
            for d, row in zip(days, report.rows, strict=True)
        )
        table = Table((c.day, c.average, c.measured), ("day", "average", "measured"), rows)
        series = [
            Series(
                self.w.charts.first_response.series, tuple(r.tally.average_first_response_minutes for r in report.rows)
            )
        ]
        words = {"target": self.number(target, 0)}
        label = self.w.charts.first_response.target.format(**words)
        return self._chart(
            "first-response",
            "first_response",
            "line",
            series,
            table,
            axis,
            target=target,
            target_label=label,
            target_words=words,
        )

    def _share_chart(self, report: SlaReport, key: str, name: str, part, whole, share, columns: tuple) -> Chart:
        """A day's share (``share(tally)``) of ``part(tally)`` out of ``whole(tally)``, as bars to 100 %."""
        days, axis = self._days(report)
        c = self.w.columns
        rows = []
        for d, row in zip(days, report.rows, strict=True):
            done, out_of = part(row.tally), whole(row.tally)
            cells = (Cell(self.day(d)), Cell(str(done), str(done)), Cell(str(out_of), str(out_of)))
            rows.append((row.key, (*cells, self._share(share(row.tally)))))
        table = Table((c.day, c[columns[0]], c[columns[1]], c.share), ("day", "part", "out_of", "share"), tuple(rows))
        values = tuple(None if share(r.tally) is None else 100 * share(r.tally) for r in report.rows)
        words = {"target": self.number(report.target_minutes, 0)}
        series = [Series(self.w.charts[name].series, values)]
        return self._chart(key, name, "bars", series, table, axis, top=100, target_words=words)

    def answered_in_time(self, report: SlaReport) -> Chart:
        return self._share_chart(
            report,
            "answered-in-time",
            "answered_in_time",
            lambda t: t.answered_in_time,
            lambda t: t.first_responses,
            lambda t: t.share_answered_in_time,
            ("in_time", "measured"),
        )

    def attended(self, report: SlaReport) -> Chart:
        return self._share_chart(
            report,
            "attended",
            "attended",
            lambda t: t.attention_met,
            lambda t: t.attention_met + t.attention_missed,
            lambda t: t.share_attended_in_time,
            ("attended", "known"),
        )

    def escalations(self, report: SlaReport) -> Chart:
        days, axis = self._days(report)
        c = self.w.columns
        rows = tuple(
            (
                row.key,
                (
                    Cell(self.day(d)),
                    Cell(str(row.tally.warnings), str(row.tally.warnings)),
                    Cell(str(row.tally.breaches), str(row.tally.breaches)),
                ),
            )
            for d, row in zip(days, report.rows, strict=True)
        )
        table = Table((c.day, c.warnings, c.breaches), ("day", "warnings", "breaches"), rows)
        series = [
            Series(c.warnings, tuple(r.tally.warnings for r in report.rows)),
            Series(c.breaches, tuple(r.tally.breaches for r in report.rows)),
        ]
        return self._chart("escalations", "escalations", "stacked", series, table, axis)

    def _backlog(self, backlog: Sequence[BacklogDay], key: str, name: str, codes: Sequence[str], words, of) -> Chart:
        axis = {
            "labels": tuple(str(d.day.day) for d in backlog),
            "axis_every": math.ceil(len(backlog) / FEW_LABELS) or 1,
        }
        c = self.w.columns
        rows = tuple(
            (
                d.day.isoformat(),
                (
                    Cell(self.day(d.day)),
                    *(Cell(str(of(d).get(code, 0)), str(of(d).get(code, 0))) for code in codes),
                    Cell(str(d.total), str(d.total)),
                ),
            )
            for d in backlog
        )
        table = Table((c.day, *(words[code] for code in codes), c.total), ("day", *codes, "total"), rows)
        series = [Series(words[code], tuple(of(d).get(code, 0) for d in backlog)) for code in codes]
        return self._chart(key, name, "stacked", series, table, axis)

    def backlog_by_status(self, backlog: Sequence[BacklogDay]) -> Chart:
        statuses = self.show.vocabulary.statuses
        return self._backlog(
            backlog, "backlog-status", "backlog_status", OPEN_STATUSES, statuses, lambda d: d.by_status
        )

    def backlog_by_category(self, backlog: Sequence[BacklogDay]) -> Chart:
        seen = sorted({code for d in backlog for code in d.by_category})
        categories = self.show.vocabulary.categories
        return self._backlog(backlog, "backlog-category", "backlog_category", seen, categories, lambda d: d.by_category)

    def agents(self, report: SlaReport) -> Chart:
        c = self.w.columns
        names = tuple(row.label or row.key for row in report.rows)
        rows = tuple(
            (
                row.key,
                (
                    Cell(name),
                    Cell(str(row.tally.first_responses), str(row.tally.first_responses)),
                    self._average(row.tally),
                    self._share(row.tally.share_answered_in_time),
                ),
            )
            for name, row in zip(names, report.rows, strict=True)
        )
        table = Table(
            (c.agent, c.first_responses, c.average, c.in_time), ("agent", "first_responses", "average", "in_time"), rows
        )
        series = [Series(c.first_responses, tuple(row.tally.first_responses for row in report.rows))]
        return self._chart("agents", "agents", "hbars", series, table, {"labels": names})
