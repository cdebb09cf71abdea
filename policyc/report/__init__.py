"""`policyc report` and `diff --format html`: one self-contained HTML file each.

Everything a page needs is inside it: styles and the small script inlined, charts drawn as
inline SVG in Python (`charts.py`), no font or script fetched at view time.
"""
