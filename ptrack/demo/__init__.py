"""A demo history of the 2010 pre-project, posted through the services' public HTTP APIs.

`run.run_demo` tells February to December 2010 of `kongsbergregionen-2010` the way its
integrations would have reported it: the accounting system's bookings and the grant
(`finance`), the time sheets' in-kind hours (`in_kind`), the project office's milestones,
progress reports and steering-group decisions (`milestones`), the project group's register of
information networks (`registry`, of the people and networks in `register`), and the survey
tool's pilot and seminar surveys, part of the seminar answers through the Formbricks webhook
(`surveys`). `story` tells the parts together; `posting` sends them. The default plan must be
loaded first (`ptrack plan load plans/kongsbergregionen-2010.yaml`).

The story, as of 31 December 2010: twelve networks mapped and assessed by 1 April, four of them
in the pilot of the network school from August, one retired in October; M1-M6 and M8 reached
(M2 after Easter, M5 after a moved forecast), M7 (test and evaluation) missed and overdue;
BP2 deferred in early September and approved at the end of it, BP3 approved in December; 10 000
moved from contingency to external expertise (RU 22/2010); process costs end over budget while
the money as a whole stays within the frame.

Every event names its system (`urn:ptrack:demo:<system>`) and has a uuid5 id made from the seed
and a key naming what it records, so running the demo again records nothing new. One seed tells
one story: a history told with another seed clashes with it (its booking ids repeat with other
content), so use one seed per database.
"""
