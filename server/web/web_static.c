/*
 * web_static.c - the console's files, and the headers every response of the
 * listener carries.
 *
 * The policy: scripts, styles, fonts and calls only from this origin, images
 * from this origin or blob: (photos fetched with GetPhoto), nothing framed,
 * no inline script or style. The console is built to need nothing more.
 * File names are taken only from a short alphabet (no "..", no hidden
 * files), so a URL can never leave the console's folder.
 */
#include "web_impl.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; "
                          "manifest-src 'self'; base-uri 'none'; form-action 'none'; "
                          "frame-ancestors 'none'";

void ins_web_security_headers(const ins_web *w, struct MHD_Response *r)
{
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    if (w->tls)
        MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
}

enum MHD_Result ins_web_text(ins_web *w, struct MHD_Connection *conn, unsigned status,
                             const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    ins_web_security_headers(w, r);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static const struct {
    const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".json", "application/json"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* Non-zero for a URL path made of [A-Za-z0-9._-] segments, none starting
 * with a dot. */
static int safe_path(const char *url)
{
    if (url[0] != '/')
        return 0;
    for (const char *p = url; *p; p++) {
        char c = *p;
        if (c == '/') {
            if (p[1] == '.' || p[1] == '/')
                return 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

enum MHD_Result ins_web_static(ins_web *w, struct MHD_Connection *conn, const char *url)
{
    if (strcmp(url, "/") == 0)
        url = "/index.html";
    if (!safe_path(url) || strlen(url) > 200)
        return ins_web_text(w, conn, MHD_HTTP_NOT_FOUND, "not found\n");
    char path[4096];
    snprintf(path, sizeof path, "%s%s", w->root, url);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        if (strcmp(url, "/index.html") == 0) {
            char msg[4200];
            snprintf(msg, sizeof msg,
                     "The web console is not installed in %s: build it (cmake builds web/ when "
                     "npm is present) or pass --web-root.\n",
                     w->root);
            return ins_web_text(w, conn, MHD_HTTP_NOT_FOUND, msg);
        }
        return ins_web_text(w, conn, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    struct MHD_Response *r = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    ins_web_security_headers(w, r);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type(url));
    /* Vite names assets by their hash: those never change. */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                            strncmp(url, "/assets/", 8) == 0 ? "public, max-age=31536000, immutable"
                                                             : "no-cache");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}
