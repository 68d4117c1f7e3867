"""Tasks of the disputes app.

Its sweep (every dispute and complaint clock, penalty expiry) is registered with its schedule
in `DisputesConfig.ready()` and run by the one task `portal.tasks.run_sweep`.
"""
