"""Call lists as people really have them: numbers typed every way, files, more rows than one batch.

Modules: phones (E.164 via libphonenumber), sources (inline, CSV, files inside allowed roots, all
streamed and bounded by hard limits), prepare (normalise: one pass from rows to tasks with a bounded
report; splitting into parts), calling_window (local time of recipients, region of a zone).
Imported one by one where needed, so start-up pays for none of them. See docs/recipients.md.
"""
