/*
 * linkproxy.c - a fault-injecting TCP proxy that plays a bad mobile link,
 * for the `link` tests and bench/link.
 *
 * It listens on 127.0.0.1 (an ephemeral port unless --port is given), prints
 * "port N" on stdout once listening, and forwards every connection to one
 * loopback target. The connections share one link: in each direction bytes
 * are serialised at --rate bytes per second (all connections together, in
 * the order they were read), then delayed by --latency-ms; each direction
 * of each connection holds at most --queue bytes not yet delivered (the
 * reader waits beyond that, like a modem's buffer). On top of that:
 *   --reset-ms M   every 0.5..1.5 x M ms (uniform, from --seed) every live
 *                  connection is closed with an RST on both sides
 *                  (SO_LINGER 0) and its queued bytes are lost;
 *   --stall-ms M --stall-for-ms D
 *                  every 0.5..1.5 x M ms nothing is delivered for D ms (the
 *                  link goes silent but stays up).
 * One thread, one poll loop; at most MAX_CONNS live connections.
 *
 * Counters: SIGUSR1 prints one line "stats conns=C resets=R up=U down=D"
 * (R counts resets that hit at least one live connection; U and D are bytes
 * delivered towards the target and back). SIGTERM or SIGINT prints the same
 * line and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64
#define SEG_MAX   4096 /* bytes read per segment: the serialisation grain */

typedef struct seg {
    struct seg *next;
    int64_t due_us; /* when its last byte reaches the far end */
    size_t len, sent;
    uint8_t data[SEG_MAX];
} seg;

/* One direction of a connection: from `src` to `dst`. */
typedef struct pipe_dir {
    int src, dst;
    seg *head, *tail;
    size_t queued;    /* bytes read and not yet written */
    int64_t *free_us; /* when the link's direction finishes serialising what it holds */
    int eof;          /* src ended: shut dst's write side once drained */
    uint64_t *count;  /* delivered-bytes counter of this direction */
} pipe_dir;

typedef struct conn {
    int used;
    int cfd, sfd; /* client side, server side */
    pipe_dir up, down;
} conn;

static struct {
    int port, target, latency_ms;
    double rate;
    size_t queue;
    int reset_ms, stall_ms, stall_for_ms;
    unsigned seed;
} opt = {.rate = 1e12, .queue = 65536};

static conn conns[MAX_CONNS];
static int64_t link_up_us, link_down_us; /* the shared link, per direction */
static uint64_t n_conns, n_resets, n_up, n_down;
static volatile sig_atomic_t want_stats, want_stop;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A random moment 0.5..1.5 x mean_ms from now. */
static int64_t next_event(int mean_ms)
{
    double f = 0.5 + (double)rand_r(&opt.seed) / RAND_MAX;
    return now_us() + (int64_t)(f * mean_ms * 1000.0);
}

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        want_stats = 1;
    else
        want_stop = 1;
}

static void print_stats(void)
{
    printf("stats conns=%llu resets=%llu up=%llu down=%llu\n", (unsigned long long)n_conns,
           (unsigned long long)n_resets, (unsigned long long)n_up, (unsigned long long)n_down);
    fflush(stdout);
}

static void nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void drop_queue(pipe_dir *p)
{
    while (p->head) {
        seg *s = p->head;
        p->head = s->next;
        free(s);
    }
    p->tail = NULL;
    p->queued = 0;
}

/* Closes both sides; with `rst`, as a reset (SO_LINGER 0). */
static void conn_close(conn *c, int rst)
{
    struct linger lg = {1, 0};
    if (rst) {
        setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        setsockopt(c->sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->cfd);
    close(c->sfd);
    drop_queue(&c->up);
    drop_queue(&c->down);
    c->used = 0;
}

static void accept_one(int lfd)
{
    int cfd = accept(lfd, NULL, NULL);
    if (cfd < 0)
        return;
    conn *c = NULL;
    for (int i = 0; i < MAX_CONNS && !c; i++)
        if (!conns[i].used)
            c = &conns[i];
    int sfd = c ? socket(AF_INET, SOCK_STREAM, 0) : -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.target)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (sfd < 0 || connect(sfd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (sfd >= 0)
            close(sfd);
        close(cfd);
        return;
    }
    nonblock(cfd);
    nonblock(sfd);
    memset(c, 0, sizeof *c);
    c->used = 1;
    c->cfd = cfd;
    c->sfd = sfd;
    c->up = (pipe_dir){.src = cfd, .dst = sfd, .free_us = &link_up_us, .count = &n_up};
    c->down = (pipe_dir){.src = sfd, .dst = cfd, .free_us = &link_down_us, .count = &n_down};
    n_conns++;
}

/* Reads what the link has room for. Returns -1 when the connection broke. */
static int pipe_read(pipe_dir *p)
{
    while (!p->eof && p->queued < opt.queue) {
        seg *s = malloc(sizeof *s);
        if (!s)
            return 0;
        ssize_t n = recv(p->src, s->data, SEG_MAX, 0);
        if (n <= 0) {
            free(s);
            if (n == 0) {
                p->eof = 1;
                return 0;
            }
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        }
        int64_t t = now_us();
        if (*p->free_us < t)
            *p->free_us = t;
        *p->free_us += (int64_t)((double)n * 1e6 / opt.rate);
        s->next = NULL;
        s->len = (size_t)n;
        s->sent = 0;
        s->due_us = *p->free_us + (int64_t)opt.latency_ms * 1000;
        if (p->tail)
            p->tail->next = s;
        else
            p->head = s;
        p->tail = s;
        p->queued += (size_t)n;
    }
    return 0;
}

/* Writes the bytes that are due. Returns -1 when the connection broke. */
static int pipe_write(pipe_dir *p, int64_t now)
{
    while (p->head && p->head->due_us <= now) {
        seg *s = p->head;
        ssize_t n = send(p->dst, s->data + s->sent, s->len - s->sent, MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        s->sent += (size_t)n;
        p->queued -= (size_t)n;
        *p->count += (uint64_t)n;
        if (s->sent < s->len)
            return 0;
        p->head = s->next;
        if (!p->head)
            p->tail = NULL;
        free(s);
    }
    if (!p->head && p->eof)
        shutdown(p->dst, SHUT_WR);
    return 0;
}

static int parse_args(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port"))
            opt.port = atoi(v);
        else if (!strcmp(k, "--target"))
            opt.target = atoi(v);
        else if (!strcmp(k, "--latency-ms"))
            opt.latency_ms = atoi(v);
        else if (!strcmp(k, "--rate"))
            opt.rate = atof(v);
        else if (!strcmp(k, "--queue"))
            opt.queue = (size_t)atol(v);
        else if (!strcmp(k, "--reset-ms"))
            opt.reset_ms = atoi(v);
        else if (!strcmp(k, "--stall-ms"))
            opt.stall_ms = atoi(v);
        else if (!strcmp(k, "--stall-for-ms"))
            opt.stall_for_ms = atoi(v);
        else if (!strcmp(k, "--seed"))
            opt.seed = (unsigned)atol(v);
        else
            return -1;
    }
    return opt.target > 0 && opt.rate > 0 && opt.queue > 0 ? 0 : -1;
}

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("linkproxy: listen");
        exit(2);
    }
    printf("port %d\n", ntohs(a.sin_port));
    fflush(stdout);
    return fd;
}

/* Adds `p`'s fds to the poll set: read while there is room, write when due. */
static void watch(struct pollfd *pf, const pipe_dir *p, int64_t now, int stalled)
{
    if (!p->eof && p->queued < opt.queue)
        pf[0].events |= POLLIN;
    if (!stalled && p->head && p->head->due_us <= now)
        pf[1].events |= POLLOUT;
}

static int64_t earliest(int64_t a, int64_t b)
{
    return b > 0 && (a == 0 || b < a) ? b : a;
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) != 0) {
        fprintf(stderr, "usage: linkproxy --target PORT [--port P] [--latency-ms MS] [--rate B/s]\n"
                        "       [--queue BYTES] [--reset-ms MS] [--stall-ms MS --stall-for-ms MS]\n"
                        "       [--seed N]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int lfd = listen_on(opt.port);
    int64_t reset_at = opt.reset_ms ? next_event(opt.reset_ms) : 0;
    int64_t stall_at = opt.stall_ms ? next_event(opt.stall_ms) : 0, stall_end = 0;
    while (!want_stop) {
        if (want_stats) {
            want_stats = 0;
            print_stats();
        }
        int64_t now = now_us();
        if (reset_at && now >= reset_at) {
            int hit = 0;
            for (int i = 0; i < MAX_CONNS; i++)
                if (conns[i].used) {
                    conn_close(&conns[i], 1);
                    hit = 1;
                }
            n_resets += (uint64_t)hit;
            reset_at = next_event(opt.reset_ms);
        }
        if (stall_at && now >= stall_at) {
            stall_end = now + (int64_t)opt.stall_for_ms * 1000;
            stall_at = next_event(opt.stall_ms) + (int64_t)opt.stall_for_ms * 1000;
        }
        int stalled = now < stall_end;
        struct pollfd pf[1 + 2 * MAX_CONNS];
        conn *owner[1 + 2 * MAX_CONNS];
        int n = 1;
        pf[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
        int64_t wake = earliest(reset_at, stalled ? stall_end : stall_at);
        for (int i = 0; i < MAX_CONNS; i++) {
            conn *c = &conns[i];
            if (!c->used)
                continue;
            pf[n] = (struct pollfd){.fd = c->cfd};
            pf[n + 1] = (struct pollfd){.fd = c->sfd};
            owner[n] = owner[n + 1] = c;
            struct pollfd up[2] = {pf[n], pf[n + 1]}, down[2] = {pf[n + 1], pf[n]};
            watch(up, &c->up, now, stalled);
            watch(down, &c->down, now, stalled);
            pf[n].events = up[0].events | down[1].events;
            pf[n + 1].events = up[1].events | down[0].events;
            if (!stalled && c->up.head)
                wake = earliest(wake, c->up.head->due_us);
            if (!stalled && c->down.head)
                wake = earliest(wake, c->down.head->due_us);
            n += 2;
        }
        int timeout = -1;
        if (wake)
            timeout = wake > now ? (int)((wake - now + 999) / 1000) : 0;
        if (poll(pf, (nfds_t)n, timeout) < 0 && errno != EINTR)
            return 1;
        if (pf[0].revents & POLLIN)
            accept_one(lfd);
        now = now_us();
        for (int i = 1; i < n; i += 2) {
            conn *c = owner[i];
            if (!c->used)
                continue;
            int bad = pipe_read(&c->up) || pipe_read(&c->down);
            if (!bad && !stalled)
                bad = pipe_write(&c->up, now) || pipe_write(&c->down, now);
            int over = c->up.eof && c->down.eof && !c->up.head && !c->down.head;
            if (bad || over || (pf[i].revents | pf[i + 1].revents) & (POLLERR | POLLNVAL))
                conn_close(c, bad);
        }
    }
    print_stats();
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].used)
            conn_close(&conns[i], 0);
    close(lfd);
    return 0;
}
