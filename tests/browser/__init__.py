"""Browser tests: the real server driven by the machine's Chromium through Playwright."""
