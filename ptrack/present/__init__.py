"""The project's status for people, in bokmål or English: fetched from the reporting service
(with the plan's baselines and budget revisions beside it), drawn as a board in the terminal
(`ptrack status`) or written as an HTML report for the steering group (`ptrack report`)."""
