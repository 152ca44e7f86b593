"""The performance report: the plan's six indicators and the readiness figures per city and province
over a month, a half-year or a year, beside their targets and the phase target of the date, with trend;
as JSON, CSV and an offline HTML page, generated on demand and on a schedule, kept with a SHA-256."""
