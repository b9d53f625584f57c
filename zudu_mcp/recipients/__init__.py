"""Call lists as people really have them: numbers typed every way, files, more rows than one batch.

Modules: phones (E.164 via libphonenumber), sources (inline, CSV, files inside allowed roots),
prepare (dedupe, refusals, splitting), calling_window. Imported one by one where needed, so
start-up pays for none of them.
"""
