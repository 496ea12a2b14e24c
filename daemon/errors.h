/* errors: every error mypool itself sends a client, each code with its one SQLSTATE;
 * docs/errors.md says when each is sent. Errors from the server are relayed as they come.
 * A code and its SQLSTATE always go together: ERR(POOL_TIMEOUT) stands for
 * `ER_POOL_TIMEOUT, SQLSTATE_POOL_TIMEOUT`. Where mypool answers in the server's place, it uses
 * the server's code for the same situation. */
#ifndef MYPOOL_ERRORS_H
#define MYPOOL_ERRORS_H

#define ERR(name) ER_##name, SQLSTATE_##name

/* mypool's own */
#define ER_POOL_TIMEOUT 9001 /* no server connection within pool_wait_timeout */
#define SQLSTATE_POOL_TIMEOUT "HY000"
#define ER_BACKEND_DOWN 9002 /* the server cannot be reached (backoff) */
#define SQLSTATE_BACKEND_DOWN "HY000"
#define ER_BACKEND_LOST 9003 /* the server connection failed during the command */
#define SQLSTATE_BACKEND_LOST "08S01"

/* The server's codes, for what a server would say in the same place */
#define ER_OUT_OF_MEMORY 1037
#define SQLSTATE_OUT_OF_MEMORY "HY001"
#define ER_CON_COUNT 1040 /* max_client_conn */
#define SQLSTATE_CON_COUNT "08004"
#define ER_HANDSHAKE 1043
#define SQLSTATE_HANDSHAKE "08S01"
#define ER_DBACCESS_DENIED 1044
#define SQLSTATE_DBACCESS_DENIED "42000"
#define ER_ACCESS_DENIED 1045
#define SQLSTATE_ACCESS_DENIED "28000"
#define ER_UNKNOWN_COM 1047
#define SQLSTATE_UNKNOWN_COM "08S01"
#define ER_SERVER_SHUTDOWN 1053
#define SQLSTATE_SERVER_SHUTDOWN "08S01"
#define ER_PARSE 1064
#define SQLSTATE_PARSE "42000"
#define ER_NO_SUCH_THREAD 1094
#define SQLSTATE_NO_SUCH_THREAD "HY000"
#define ER_UNKNOWN_ERROR 1105
#define SQLSTATE_UNKNOWN_ERROR "HY000"
#define ER_NET_PACKET_TOO_LARGE 1153
#define SQLSTATE_NET_PACKET_TOO_LARGE "08S01"
#define ER_NET_PACKETS_OUT_OF_ORDER 1156
#define SQLSTATE_NET_PACKETS_OUT_OF_ORDER "08S01"
#define ER_WRONG_ARGUMENTS 1210
#define SQLSTATE_WRONG_ARGUMENTS "HY000"
#define ER_NOT_SUPPORTED_YET 1235
#define SQLSTATE_NOT_SUPPORTED_YET "42000"
#define ER_UNKNOWN_STMT_HANDLER 1243
#define SQLSTATE_UNKNOWN_STMT_HANDLER "HY000"
#define ER_QUERY_INTERRUPTED 1317
#define SQLSTATE_QUERY_INTERRUPTED "70100"
#define ER_STMT_HAS_NO_OPEN_CURSOR 1421
#define SQLSTATE_STMT_HAS_NO_OPEN_CURSOR "HY000"
#define ER_MAX_PREPARED_STMT_COUNT_REACHED 1461
#define SQLSTATE_MAX_PREPARED_STMT_COUNT_REACHED "42000"
#define ER_MALFORMED_PACKET 1835
#define SQLSTATE_MALFORMED_PACKET "HY000"
#define ER_CONNECTION_KILLED 1927
#define SQLSTATE_CONNECTION_KILLED "70100"
#define ER_SUBQUERIES_NOT_SUPPORTED 1970
#define SQLSTATE_SUBQUERIES_NOT_SUPPORTED "42000"
#define ER_LOAD_INFILE_CAPABILITY_DISABLED 4166
#define SQLSTATE_LOAD_INFILE_CAPABILITY_DISABLED "HY000"

/* Server errors mypool looks for in what the server answers its own statements */
#define ER_SPECIFIC_ACCESS_DENIED 1227 /* SET pseudo_thread_id without BINLOG REPLAY or SUPER */

#endif
