"""The report batch: ``reports.yaml`` (``config``) -> planned runs (``plan``) -> executors (local processes or
Dask) -> one Papermill run each (``engine``, kernels from ``kernels``) -> ``reports/<snapshot>/``.
Knows nothing of the analysis helpers the notebooks use."""
