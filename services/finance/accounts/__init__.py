"""The project accounts ("prosjektregnskap") for the funder: per cost line the original budget,
its revisions, the revised budget, the actual cost by voucher, deviation and share; financing
planned against received, net of repayments; the documentation of in-kind work as corrected,
attested and unattested apart, with its corrections, withdrawals and attestations; and the basis
(the log position and hash the accounts were made from, and the latest signed checkpoint).

`model` builds the accounts from read-model rows (pure); `queries` reads those rows in one
snapshot, and the plan's events from the log; `workbook`, `document` and `tables` write them as
XLSX, PDF and CSV in bokmål or English (catalogue domain `accounts`, in `shared/locale`); `api`
serves them."""
