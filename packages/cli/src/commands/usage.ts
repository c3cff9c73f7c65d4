// The help of the commands configured by variables: printed by `--help` without reading any.

const COMMON = `  CARILLON_DB_URL         required: mysql://user:password@host:3306/carillon or
                          sqlite:///absolute/path/carillon.db
  CARILLON_CLUSTER        cluster id (default 101)
  CARILLON_ZK             ZooKeeper ensemble, host:port[,host:port...][/chroot]; without it
                          one server per ServerGroup (a second is refused) and no peers
  CARILLON_ZK_SESSION_TIMEOUT_MS
                          session timeout asked of ZooKeeper (default 6000)
  CARILLON_ZK_AUTH        ZooKeeper digest credentials, user:password: the cluster's nodes
                          are then readable and writable with them only
  CARILLON_LOG_LEVEL      trace, debug, info, warn, error, fatal, silent (default info);
                          the --log-level flag overrides it
  CARILLON_START_WAIT_MS  how long to wait at start for the database and ZooKeeper to
                          answer, trying again (default 60000; 0: fail at once)`;

/** `carillon server --help`. */
export const SERVER_USAGE = `usage: carillon server [--log-level LEVEL]

Runs one scheduling server. Settings come from the environment (docs/configuration.md):
${COMMON}
  CARILLON_SERVER_ID      stable server id (default <hostname>-<rpc port>)
  CARILLON_SERVER_GROUP   the ServerGroup it schedules (default first of CARILLON_SERVER_GROUPS, 1)
  CARILLON_ROOM           machine room / availability zone (default "default")
  CARILLON_ROOM_RULES     instead of CARILLON_ROOM: CIDR=room rules, e.g.
                          10.1.0.0/16=a,10.2.0.0/16=b; the first holding the server's address
                          (advertised, else RPC host) gives its room
  CARILLON_RPC_HOST       gRPC listen address (default 127.0.0.1)
  CARILLON_RPC_PORT       gRPC port (default 7701)
  CARILLON_RPC_ADVERTISED_ADDRESS  the host:port clients should dial, when it differs
  CARILLON_LEAD_MS        how long before its instant a fire is routed and sent to a client
                          (default 300)
  CARILLON_CLAIM_AHEAD_MS how much earlier than that its row is claimed (default 700)
  CARILLON_FENCE_MS       how long a client cut off from every server keeps running its
                          handlers; a dead client's work is dispatched again after it
                          (default 10000)
  CARILLON_HOLDER_GRACE_MS
                          how long a holder gone from the cluster keeps its jobs before the
                          leader gives them to another server (default 10000)
  CARILLON_GONE_AFTER_MS  a peer whose heartbeat is this much older than this server's own
                          (both stamped by the database) counts as gone: its claimed, unsent
                          fires are adopted (default 600, 300 to 60000)
  CARILLON_TLS_CERT_FILE, CARILLON_TLS_KEY_FILE
                          PEM certificate chain and key: serve gRPC over TLS
  CARILLON_TLS_CLIENT_CA_FILE
                          PEM CA: require client certificates it signed (mutual TLS)
  CARILLON_METRICS_PORT   serve /metrics, /livez and /readyz over HTTP on this port
                          (default: off; 0 picks a free one)
  CARILLON_METRICS_HOST   their listen address (default 127.0.0.1)
  CARILLON_SMTP_URL       smtp://user:pass@host:587 or smtps://host:465: e-mail alerts
                          (default: off; webhook alerts need nothing)
  CARILLON_ALERT_FROM     From address of alert e-mails (default carillon@<hostname>)
Bad settings are listed together and exit with 2.
`;

/** `carillon console --help`. */
export const CONSOLE_USAGE = `usage: carillon console [--log-level LEVEL]

Runs the console: the REST API (docs at /api/docs). Settings come from the environment
(docs/configuration.md):
${COMMON}
  CARILLON_SERVER_GROUPS  ServerGroups new task groups are placed in (default 1)
  CARILLON_HTTP_HOST      HTTP listen address (default 127.0.0.1)
  CARILLON_HTTP_PORT      HTTP port (default 7700)
  CARILLON_ADMIN_USER, CARILLON_ADMIN_PASSWORD
                          create this admin (default user admin; password 8 to 1024 characters)
                          at start if it does not exist
  CARILLON_SMTP_URL, CARILLON_ALERT_FROM
                          SMTP for the "send a test" action of e-mail alert rules
Bad settings are listed together and exit with 2.
`;

/** `carillon migrate --help`. */
export const MIGRATE_USAGE = `usage: carillon migrate [--log-level LEVEL]

Brings the database schema up to date, then exits. On MySQL/MariaDB it creates the database
named in the URL if it does not exist and the user may; otherwise it prints the statement for an
administrator to run. Settings come from the environment (docs/configuration.md):
${COMMON}
Bad settings are listed together and exit with 2.
`;
