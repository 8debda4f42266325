"""The demo utility: a deterministic, believable T&D utility (registry, one week of logs, labelled violations).

Entry point: :func:`ringfence.demo.generate.generate_demo`; loading into the database:
:func:`ringfence.demo.load.load_registry`. See docs/demo.md.
"""
