"""Figures and pictures as a reader sees them: the formatting of money, shares and slips, and
the charts (S-curve, budget use, timeline, success factors), for the command line's report and
board and for the office's pages."""
