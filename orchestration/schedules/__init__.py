"""Schedules: the monthly run after the URSSAF delivery (around the 20th)."""

import dagster as dg

from orchestration.jobs import pipeline_complet

pipeline_mensuel = dg.ScheduleDefinition(
    name="pipeline_mensuel",
    job=pipeline_complet,
    cron_schedule="0 6 22 * *",
    execution_timezone="Europe/Paris",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Full pipeline on the 22nd of each month, after the URSSAF deliveries.",
)
