"""Figures, words and pictures as a reader sees them, in bokmål or English: the formatting of
money, shares, dates and slips (Babel), the names of the services' codes and the earned-value
measures with what each means (the `present` catalogue), and the charts (S-curve, budget use,
timeline, success factors), for the command line's report and board and for the office's
pages."""
