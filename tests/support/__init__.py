"""Test support shared by every suite: infrastructure discovery, isolation, SMTP, browser."""
