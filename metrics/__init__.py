"""Pure maths behind every number Astral shows (METRICS.md). No Django imports here:
`today` and time zones are passed in, so every function is a unit under test."""
