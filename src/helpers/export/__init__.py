"""Stage 4, exports of an executed batch: offline HTML pages (``html``), chart files (``render``), slide decks
(``slides``) and the index, written atomically (``build``)."""
