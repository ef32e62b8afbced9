"""Stage 3, what notebooks import: parameters (``params``), snapshot queries (``queries``), figures shaped for a
chart (``figures``), labels, narrative sentences and Altair charts (``charts``)."""
