"""What the API and every worker share for operators: JSON logs that carry
the image and event a line is about (logs.py), and Prometheus metrics served
at /metrics (api.py for the API, worker.py for a stage's worker, which also
answers the liveness and readiness probes). It sits under streams/ because
the top-level folders are fixed; the API imports it as it does streams.imaging."""
