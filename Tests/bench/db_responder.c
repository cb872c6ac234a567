/*
 * A multi-threaded FastCGI responder doing one MariaDB statement per request: the database
 * ceilings that `make bench` measures the EnterCRM pool's hot paths against, behind the
 * same nginx and on the same MariaDB connection settings as the pool.
 *
 *   db-responder insert SOCKET_PATH THREADS
 *       Reads the request body and stores it with ONE durable INSERT (a prepared statement,
 *       autocommit) into bench_c_events (id, body, created_at). Answers 201
 *       {"recorded":true,"id":N}.
 *   db-responder select SOCKET_PATH THREADS TENANT_ID
 *       Takes the customer id from the last segment of the path and reads the row with ONE
 *       primary-key SELECT (prepared) of the columns the API's profile reads, from the
 *       customers table of workspace TENANT_ID. Answers 200 with the row as JSON, or 404.
 *
 * The database is ENTERCRM_DATABASE_URL, as the pool reads it:
 * mariadb://USER:PASS@HOST:PORT/DB?socket=/path (the socket wins over host and port).
 * Each thread has its own connection with the pool's session settings (utf8mb4, UTC,
 * READ COMMITTED). The socket is created with mode 0666; SIGTERM or SIGINT removes it.
 *
 * Build: gcc -O2 -pthread -o db-responder db_responder.c -lfcgi $(mariadb_config --cflags --libs)
 */
#include <fcgiapp.h>
#include <mysql.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum mode { MODE_INSERT, MODE_SELECT };

static enum mode mode;
static int listen_fd;
static const char *socket_path;
static unsigned long long tenant_id;

static struct {
    char user[256], password[256], host[256], database[256], socket[512];
    unsigned port;
} db;

/* The columns of CustomerJSON.columns (Sources/Customers/Customer.swift). */
static const char *const columns[] = {
    "id", "name", "email", "phone", "city", "country", "properties", "rfm_score", "rfm_segment",
    "clv_total", "clv_predicted", "clv_average_order", "clv_order_count", "currency", "first_order_at",
    "last_order_at", "events_count", "last_seen_at", "created_at", "updated_at",
};
/* 1 where the column is a number in JSON. */
static const int numeric[] = {1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0};
#define NCOLUMNS (sizeof columns / sizeof columns[0])
#define COLUMN_BYTES 4096

static const char select_sql[] =
    "SELECT c.id, c.name, c.email, c.phone, c.city, c.country, c.properties, c.rfm_score, c.rfm_segment, "
    "c.clv_total, c.clv_predicted, c.clv_average_order, c.clv_order_count, c.currency, c.first_order_at, "
    "c.last_order_at, c.events_count, c.last_seen_at, c.created_at, c.updated_at "
    "FROM customers c WHERE c.tenant_id = ? AND c.id = ?";
static const char insert_sql[] = "INSERT INTO bench_c_events (body, created_at) VALUES (?, UTC_TIMESTAMP(6))";
/* The session of Sources/MariaDB/Connection.swift. */
static const char session_sql[] =
    "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO', tx_isolation = 'READ-COMMITTED'";

static int percent_decode(char *out, size_t size, const char *in, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o + 1 >= size)
            return -1;
        if (in[i] == '%' && i + 2 < n) {
            char hex[3] = {in[i + 1], in[i + 2], 0};
            out[o++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[o++] = in[i];
        }
    }
    out[o] = 0;
    return 0;
}

/* mariadb://USER:PASS@HOST:PORT/DB?socket=PATH */
static int parse_url(const char *url)
{
    const char *p = strstr(url, "://");
    if (p == NULL)
        return -1;
    p += 3;
    const char *at = strrchr(p, '@');
    if (at == NULL)
        return -1;
    const char *colon = memchr(p, ':', (size_t)(at - p));
    if (colon == NULL)
        return -1;
    if (percent_decode(db.user, sizeof db.user, p, (size_t)(colon - p)) != 0 ||
        percent_decode(db.password, sizeof db.password, colon + 1, (size_t)(at - colon - 1)) != 0)
        return -1;
    const char *host = at + 1;
    const char *slash = strchr(host, '/');
    if (slash == NULL)
        return -1;
    const char *port = memchr(host, ':', (size_t)(slash - host));
    size_t host_len = (size_t)((port ? port : slash) - host);
    if (host_len >= sizeof db.host)
        return -1;
    memcpy(db.host, host, host_len);
    db.host[host_len] = 0;
    db.port = port ? (unsigned)atoi(port + 1) : 3306;
    const char *query = strchr(slash, '?');
    size_t name_len = (size_t)((query ? query : slash + strlen(slash)) - slash - 1);
    if (percent_decode(db.database, sizeof db.database, slash + 1, name_len) != 0)
        return -1;
    db.socket[0] = 0;
    if (query) {
        const char *s = strstr(query, "socket=");
        if (s) {
            s += 7;
            const char *end = strchr(s, '&');
            if (percent_decode(db.socket, sizeof db.socket, s, end ? (size_t)(end - s) : strlen(s)) != 0)
                return -1;
        }
    }
    return 0;
}

struct thread_state {
    MYSQL *conn;
    MYSQL_STMT *stmt;
    /* select: one string buffer per column */
    char values[NCOLUMNS][COLUMN_BYTES];
    unsigned long lengths[NCOLUMNS];
    my_bool nulls[NCOLUMNS];
    my_bool truncated[NCOLUMNS];
};

static void disconnect(struct thread_state *t)
{
    if (t->stmt)
        mysql_stmt_close(t->stmt);
    if (t->conn)
        mysql_close(t->conn);
    t->stmt = NULL;
    t->conn = NULL;
}

static int connect_db(struct thread_state *t)
{
    disconnect(t);
    t->conn = mysql_init(NULL);
    if (t->conn == NULL)
        return -1;
    unsigned timeout = 10;
    mysql_optionsv(t->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_optionsv(t->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (mysql_real_connect(t->conn, db.socket[0] ? NULL : db.host, db.user, db.password, db.database,
                           db.socket[0] ? 0 : db.port, db.socket[0] ? db.socket : NULL, CLIENT_FOUND_ROWS) == NULL ||
        mysql_query(t->conn, session_sql) != 0 || mysql_autocommit(t->conn, 1) != 0) {
        fprintf(stderr, "db-responder: connect: %s\n", mysql_error(t->conn));
        disconnect(t);
        return -1;
    }
    const char *sql = mode == MODE_INSERT ? insert_sql : select_sql;
    t->stmt = mysql_stmt_init(t->conn);
    if (t->stmt == NULL || mysql_stmt_prepare(t->stmt, sql, strlen(sql)) != 0) {
        fprintf(stderr, "db-responder: prepare: %s\n", t->stmt ? mysql_stmt_error(t->stmt) : "out of memory");
        disconnect(t);
        return -1;
    }
    if (mode == MODE_SELECT) {
        MYSQL_BIND result[NCOLUMNS];
        memset(result, 0, sizeof result);
        for (size_t i = 0; i < NCOLUMNS; i++) {
            result[i].buffer_type = MYSQL_TYPE_STRING;
            result[i].buffer = t->values[i];
            result[i].buffer_length = COLUMN_BYTES;
            result[i].length = &t->lengths[i];
            result[i].is_null = &t->nulls[i];
            result[i].error = &t->truncated[i];
        }
        if (mysql_stmt_bind_result(t->stmt, result) != 0) {
            fprintf(stderr, "db-responder: bind: %s\n", mysql_stmt_error(t->stmt));
            disconnect(t);
            return -1;
        }
    }
    return 0;
}

static void answer(FCGX_Request *r, const char *status, const char *body, size_t length)
{
    const char *request_id = FCGX_GetParam("REQUEST_ID", r->envp);
    FCGX_FPrintF(r->out,
                 "Status: %s\r\n"
                 "Content-Type: application/json\r\n"
                 "Content-Length: %u\r\n"
                 "X-Request-Id: %s\r\n"
                 "\r\n",
                 status, (unsigned)length, request_id ? request_id : "");
    FCGX_PutStr(body, (int)length, r->out);
}

static void answer_error(FCGX_Request *r, struct thread_state *t)
{
    static const char body[] = "{\"message\":\"Server error.\"}";
    fprintf(stderr, "db-responder: %s\n", t->stmt ? mysql_stmt_error(t->stmt) : "not connected");
    answer(r, "500 Internal Server Error", body, sizeof body - 1);
    disconnect(t); /* the next request reconnects */
}

/* One durable INSERT of the request body. */
static void handle_insert(FCGX_Request *r, struct thread_state *t, char *body, size_t cap)
{
    const char *cl = FCGX_GetParam("CONTENT_LENGTH", r->envp);
    size_t want = cl ? (size_t)strtoul(cl, NULL, 10) : 0;
    if (want >= cap)
        want = cap - 1;
    size_t got = 0;
    while (got < want) {
        int n = FCGX_GetStr(body + got, (int)(want - got), r->in);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (t->stmt == NULL && connect_db(t) != 0)
        return answer_error(r, t);
    MYSQL_BIND param;
    memset(&param, 0, sizeof param);
    unsigned long length = got;
    param.buffer_type = MYSQL_TYPE_STRING;
    param.buffer = body;
    param.buffer_length = got;
    param.length = &length;
    if (mysql_stmt_bind_param(t->stmt, &param) != 0 || mysql_stmt_execute(t->stmt) != 0)
        return answer_error(r, t);
    char out[96];
    int n = snprintf(out, sizeof out, "{\"recorded\":true,\"id\":%llu}",
                     (unsigned long long)mysql_stmt_insert_id(t->stmt));
    answer(r, "201 Created", out, (size_t)n);
}

static size_t put_json_string(char *out, size_t o, size_t cap, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (o < cap)
        out[o++] = '"';
    for (size_t i = 0; i < n && o + 7 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20) {
            memcpy(out + o, "\\u00", 4);
            out[o + 4] = hex[ch >> 4];
            out[o + 5] = hex[ch & 15];
            o += 6;
        } else {
            out[o++] = (char)ch;
        }
    }
    if (o < cap)
        out[o++] = '"';
    return o;
}

/* One primary-key SELECT; the row as a JSON object. */
static void handle_select(FCGX_Request *r, struct thread_state *t, char *out, size_t cap)
{
    static const char not_found[] = "{\"message\":\"Customer not found.\"}";
    const char *uri = FCGX_GetParam("DOCUMENT_URI", r->envp);
    const char *slash = uri ? strrchr(uri, '/') : NULL;
    unsigned long long id = slash ? strtoull(slash + 1, NULL, 10) : 0;
    if (id == 0)
        return answer(r, "404 Not Found", not_found, sizeof not_found - 1);
    if (t->stmt == NULL && connect_db(t) != 0)
        return answer_error(r, t);
    MYSQL_BIND params[2];
    memset(params, 0, sizeof params);
    params[0].buffer_type = MYSQL_TYPE_LONGLONG;
    params[0].buffer = &tenant_id;
    params[0].is_unsigned = 1;
    params[1].buffer_type = MYSQL_TYPE_LONGLONG;
    params[1].buffer = &id;
    params[1].is_unsigned = 1;
    if (mysql_stmt_bind_param(t->stmt, params) != 0 || mysql_stmt_execute(t->stmt) != 0 ||
        mysql_stmt_store_result(t->stmt) != 0)
        return answer_error(r, t);
    int fetched = mysql_stmt_fetch(t->stmt);
    if (fetched == 1) {
        mysql_stmt_free_result(t->stmt);
        return answer_error(r, t);
    }
    if (fetched == MYSQL_NO_DATA) {
        mysql_stmt_free_result(t->stmt);
        return answer(r, "404 Not Found", not_found, sizeof not_found - 1);
    }
    size_t o = 0;
    out[o++] = '{';
    for (size_t i = 0; i < NCOLUMNS; i++) {
        size_t n = t->lengths[i] < COLUMN_BYTES ? t->lengths[i] : COLUMN_BYTES;
        o += (size_t)snprintf(out + o, cap - o, "%s\"%s\":", i ? "," : "", columns[i]);
        if (t->nulls[i])
            o += (size_t)snprintf(out + o, cap - o, "null");
        else if (numeric[i] || i == 6 /* properties: JSON already */) {
            if (o + n < cap) {
                memcpy(out + o, t->values[i], n);
                o += n;
            }
        } else
            o = put_json_string(out, o, cap, t->values[i], n);
    }
    if (o < cap)
        out[o++] = '}';
    while (mysql_stmt_fetch(t->stmt) == 0) {
    }
    mysql_stmt_free_result(t->stmt);
    answer(r, "200 OK", out, o);
}

static void *serve(void *unused)
{
    (void)unused;
    enum { BUFFER = 1 << 16 };
    struct thread_state *t = calloc(1, sizeof *t);
    char *buffer = malloc(BUFFER);
    if (t == NULL || buffer == NULL)
        return NULL;
    mysql_thread_init();
    if (connect_db(t) != 0)
        fprintf(stderr, "db-responder: a thread starts without a connection\n");
    FCGX_Request request;
    if (FCGX_InitRequest(&request, listen_fd, 0) != 0)
        return NULL;
    while (FCGX_Accept_r(&request) >= 0) {
        if (mode == MODE_INSERT)
            handle_insert(&request, t, buffer, BUFFER);
        else
            handle_select(&request, t, buffer, BUFFER);
        FCGX_Finish_r(&request);
    }
    disconnect(t);
    mysql_thread_end();
    return NULL;
}

static void on_signal(int sig)
{
    unlink(socket_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[1], "insert") == 0 && argc != 4) ||
        (strcmp(argv[1], "select") == 0 && argc != 5) ||
        (strcmp(argv[1], "insert") != 0 && strcmp(argv[1], "select") != 0)) {
        fprintf(stderr, "usage: %s insert SOCKET_PATH THREADS\n       %s select SOCKET_PATH THREADS TENANT_ID\n",
                argv[0], argv[0]);
        return 2;
    }
    mode = strcmp(argv[1], "insert") == 0 ? MODE_INSERT : MODE_SELECT;
    socket_path = argv[2];
    int threads = atoi(argv[3]);
    if (threads < 1 || threads > 1024) {
        fprintf(stderr, "%s: THREADS must be between 1 and 1024\n", argv[0]);
        return 2;
    }
    if (mode == MODE_SELECT)
        tenant_id = strtoull(argv[4], NULL, 10);
    const char *url = getenv("ENTERCRM_DATABASE_URL");
    if (url == NULL || parse_url(url) != 0) {
        fprintf(stderr, "%s: ENTERCRM_DATABASE_URL is missing or not mariadb://USER:PASS@HOST:PORT/DB[?socket=PATH]\n",
                argv[0]);
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    if (mysql_library_init(0, NULL, NULL) != 0 || FCGX_Init() != 0) {
        fprintf(stderr, "%s: library initialisation failed\n", argv[0]);
        return 1;
    }
    unlink(socket_path);
    listen_fd = FCGX_OpenSocket(socket_path, 1024);
    if (listen_fd < 0) {
        fprintf(stderr, "%s: cannot listen on %s\n", argv[0], socket_path);
        return 1;
    }
    chmod(socket_path, 0666);

    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    if (ids == NULL)
        return 1;
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&ids[i], NULL, serve, NULL) != 0) {
            fprintf(stderr, "%s: pthread_create failed\n", argv[0]);
            return 1;
        }
    }
    fprintf(stderr, "db-responder: %s, %d threads on %s, database %s via %s\n", argv[1], threads, socket_path,
            db.database, db.socket[0] ? db.socket : db.host);
    for (int i = 0; i < threads; i++)
        pthread_join(ids[i], NULL);
    unlink(socket_path);
    return 0;
}
