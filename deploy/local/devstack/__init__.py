"""The local stack and the `./darkroom` command line (folder deploy/local/)."""
