"""The demonstration city and the synthetic city, made up but stored only through the real
services: `build` (the entry point, `build_demo`), `city` (units and logins), `answers` (made-up
self-assessments and survey answers), `risks` (risk registers) and `synthetic` (a city of any size
for measuring performance). Nothing outside the CLI and the benchmarks depends on this package.
"""
