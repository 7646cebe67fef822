"""The board report (R10a): its figures from the records database, its charts, and its
HTML and CSV; for the inbox page and `ubp report`."""
