"""`mjtui metrics`: the accounts' channels, jobs and failures for Prometheus, polled with no dashboard open.

`families` says what is exposed and how each metric is read; `exporter` polls, counts, journals and serves;
`command` starts it from the command line. Never imports Textual.
"""
