/*
 * A minimal multi-threaded FastCGI responder: the ceiling that `make bench` measures the
 * EnterCRM pool against, behind the same nginx.
 *
 *   c-hello SOCKET_PATH [THREADS]
 *
 * Creates the unix socket (mode 0666), then THREADS threads (default 16) loop on
 * FCGX_Accept_r, each answering every request with a JSON body of the same size as
 * GET /v1/health and an X-Request-Id header, as the real pool does. SIGTERM or SIGINT
 * removes the socket and exits.
 *
 * Build: gcc -O2 -pthread -o c-hello hello.c -lfcgi
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The same bytes as the health response of `entercrm serve`. */
static const char body[] = "{\"status\":\"ok\",\"database\":\"ok\",\"version\":\"0.1.0\"}";

static int listen_fd;
static const char *socket_path;

static void *serve(void *unused)
{
    (void)unused;
    FCGX_Request request;
    if (FCGX_InitRequest(&request, listen_fd, 0) != 0)
        return NULL;
    while (FCGX_Accept_r(&request) >= 0) {
        const char *request_id = FCGX_GetParam("REQUEST_ID", request.envp);
        FCGX_FPrintF(request.out,
                     "Status: 200 OK\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: %u\r\n"
                     "X-Request-Id: %s\r\n"
                     "\r\n"
                     "%s",
                     (unsigned)(sizeof body - 1), request_id ? request_id : "", body);
        FCGX_Finish_r(&request);
    }
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
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s SOCKET_PATH [THREADS]\n", argv[0]);
        return 2;
    }
    socket_path = argv[1];
    int threads = argc == 3 ? atoi(argv[2]) : 16;
    if (threads < 1 || threads > 1024) {
        fprintf(stderr, "%s: THREADS must be between 1 and 1024\n", argv[0]);
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    if (FCGX_Init() != 0) {
        fprintf(stderr, "%s: FCGX_Init failed\n", argv[0]);
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
    fprintf(stderr, "c-hello: %d threads on %s\n", threads, socket_path);
    for (int i = 0; i < threads; i++)
        pthread_join(ids[i], NULL);
    unlink(socket_path);
    return 0;
}
