"""The render service: answers transform URLs (/t/..., schemas/transforms.py)
that nginx did not have cached, from the original in MinIO, with
streams.imaging in a process pool; stores each result under the image's
placement so a cold cache does not render it again. Its own process and
Deployment (`entrypoint.sh render`), behind nginx: `uvicorn render.main:app`."""
