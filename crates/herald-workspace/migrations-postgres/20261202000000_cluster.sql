-- Several instances on one database (issue 12): the lead's lease. One row. The instance that
-- holds the advisory lock (see src/cluster/lease.rs) writes itself here with `epoch` one higher
-- than before; every commit of the leader updates this row only where `epoch` is still its own
-- (a fencing token), so an instance that lost the lead can no longer write. Followers read `url`
-- to forward requests to the leader, and sign them with `secret`.
CREATE TABLE cluster_lease (
    id      SMALLINT PRIMARY KEY CHECK (id = 1),
    epoch   BIGINT NOT NULL,
    holder  TEXT NOT NULL,
    url     TEXT NOT NULL,
    secret  TEXT NOT NULL,
    since   BIGINT NOT NULL,
    renewed BIGINT NOT NULL
);
